from celery import shared_task

from .training import train_model_version


@shared_task(name="recommender.tasks.retrain")
def retrain(algorithm: str | None = None, params: dict | None = None) -> dict:
    """Train a new model version; it serves only if it is not worse than the current one."""
    result = train_model_version(algorithm, params)
    version = result.version
    return {"version": version.pk, "status": version.status, "rmse": version.rmse, "mae": version.mae, "activated": result.activated}
