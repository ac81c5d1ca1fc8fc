from celery import shared_task

from .training import derive_version_with_new_titles, train_model_version


@shared_task(name="recommender.tasks.retrain")
def retrain(algorithm: str | None = None, params: dict | None = None) -> dict:
    """Train a new model version; it serves only if it is not worse than the current one."""
    result = train_model_version(algorithm, params)
    version = result.version
    return {"version": version.pk, "status": version.status, "rmse": version.rmse, "mae": version.mae, "activated": result.activated}


@shared_task(name="recommender.tasks.place_new_titles")
def place_new_titles() -> dict:
    """Make newly imported titles recommendable before anyone rated them (no retrain)."""
    version = derive_version_with_new_titles()
    return {"version": version.pk if version else None}
