from celery import shared_task
from django.conf import settings

from .backups import nightly_backup
from .training import (
    TrainingResult,
    derive_version_with_new_titles,
    train_model_version,
    training_config,
    tune_and_train,
)


def summary(result: TrainingResult) -> dict:
    version = result.version
    return {"version": version.pk, "status": version.status, "rmse": version.rmse, "mae": version.mae, "activated": result.activated}


@shared_task(name="recommender.tasks.retrain")
def retrain(algorithm: str | None = None, params: dict | None = None) -> dict:
    """Train a new model version (by default with the serving version's configuration); it serves
    only if it is not worse than the current one."""
    if algorithm is None:
        algorithm, serving_params = training_config()
        params = serving_params if params is None else params
    return summary(train_model_version(algorithm, params))


@shared_task(name="recommender.tasks.tune")
def tune(algorithm: str, grid: dict | None = None, n_folds: int = 3, metric: str = "rmse") -> dict:
    """Cross-validated search over ``grid``, then a model version trained with the best parameters."""
    tuning_result, trained = tune_and_train(algorithm, grid, n_folds, metric=metric)
    return {"best_params": tuning_result.best.params, **summary(trained)}


@shared_task(name="recommender.tasks.place_new_titles")
def place_new_titles() -> dict:
    """Make newly imported titles recommendable before anyone rated them (no retrain)."""
    version = derive_version_with_new_titles()
    return {"version": version.pk if version else None}


@shared_task(name="recommender.tasks.backup")
def backup() -> dict:
    """The nightly backup into BACKUP_DIR; only the newest BACKUP_KEEP are kept."""
    made, deleted = nightly_backup(settings.BACKUP_DIR, settings.BACKUP_KEEP)
    return {"backup": str(made), "deleted": [str(path) for path in deleted]}
