from celery import shared_task
from django.conf import settings

from .backups import nightly_backup
from .digest import give_up, send_batch, start_run
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


@shared_task(name="recommender.tasks.send_weekly_digest")
def send_weekly_digest() -> dict:
    """Beat, weekly: start this week's digest run; its batches go to workers as tasks of their own.
    Running it again in the same week mails nobody twice (``recommender.digest``)."""
    run = start_run()
    return {"run": run.pk, "week": run.week.isoformat(), "subscribers": run.subscribers, "batches": run.batches}


# Attempts of a batch after an SMTP failure: waits of EMAIL_RETRY_SECONDS doubling to at most 30 min.
DIGEST_RETRIES = 8


@shared_task(bind=True, name="recommender.tasks.send_digest_batch", max_retries=DIGEST_RETRIES)
def send_digest_batch(self, run_id: int, user_ids: list[int]) -> dict:
    """Mail one batch of a digest run; users an SMTP failure left unmailed are retried later, and
    counted as failed after the last attempt."""
    outcome = send_batch(run_id, user_ids)
    if outcome.retry:
        if self.request.retries >= self.max_retries:
            give_up(run_id, outcome.retry)
        else:
            raise self.retry(args=[run_id, outcome.retry], countdown=min(1800, settings.EMAIL_RETRY_SECONDS * 2 ** self.request.retries))
    return {"sent": outcome.sent, "empty": outcome.empty, "skipped": outcome.skipped, "failed": outcome.failed,
            "retry": len(outcome.retry)}


@shared_task(name="recommender.tasks.backup")
def backup() -> dict:
    """The nightly backup into BACKUP_DIR; only the newest BACKUP_KEEP are kept."""
    made, deleted = nightly_backup(settings.BACKUP_DIR, settings.BACKUP_KEEP)
    return {"backup": str(made), "deleted": [str(path) for path in deleted]}
