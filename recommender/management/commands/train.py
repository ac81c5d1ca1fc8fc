from django.core.management.base import BaseCommand, CommandError

from recommender import algorithms, scoring
from recommender.selectors import serving_version
from recommender.training import NotEnoughRatings, train_model_version


class Command(BaseCommand):
    help = "Train a model version on the ratings in the database, evaluate it and activate it if not worse."

    def add_arguments(self, parser):
        parser.add_argument("--algorithm", default=algorithms.PRODUCTION, choices=sorted(algorithms.ALGORITHMS))
        parser.add_argument("--if-missing", action="store_true", help="do nothing when a model already serves")

    def handle(self, *args, algorithm, if_missing, **options):
        # Web processes fold users in with numba kernels; compiling them (about 13 s, once per
        # machine, cached on disk) here at set-up spares the first requests after a deploy.
        scoring.warm_up()
        if if_missing and (current := serving_version()) is not None:
            self.stdout.write(f"model v{current.pk} ({current.algorithm}) already serves: RMSE={current.rmse:.4f} MAE={current.mae:.4f}")
            return
        self.stdout.write(f"Training {algorithm}…")
        try:
            result = train_model_version(algorithm)
        except NotEnoughRatings as exc:
            raise CommandError(str(exc)) from exc
        v = result.version
        self.stdout.write(
            f"version=v{v.pk} algorithm={v.algorithm} ratings={v.n_ratings} users={v.n_users} titles={v.n_titles} "
            f"seconds={v.duration_seconds:.1f}"
        )
        reason = v.metrics.get("rejected_because", "worse than serving")
        state = "activated" if result.activated else f"rejected ({reason}; serving model unchanged)"
        ranking = " ".join(
            f"{label}={v.metrics[key]:.4f}" for key, label in (("precision", "P@10"), ("recall", "R@10"), ("ndcg", "NDCG@10"))
            if v.metrics.get(key) is not None
        )
        self.stdout.write(f"held-out {ranking}".rstrip())
        beyond = {key: value for key, value in v.metrics.get("beyond", {}).items() if value is not None}
        if beyond:
            self.stdout.write("held-out lists " + " ".join(f"{key}={value:.4f}" for key, value in beyond.items()))
        new_user = v.metrics.get("new_user_ndcg", {})
        if new_user:
            recall = v.metrics.get("new_user_recall", {})
            self.stdout.write("new users " + " ".join(
                f"K={k}: NDCG@10={new_user[k]:.4f} R@10={recall[k]:.4f}" for k in sorted(new_user, key=int)))
        else:
            self.stdout.write(f"new users: not measured ({v.algorithm} cannot fold in a new user)")
        self.stdout.write(self.style.SUCCESS(f"RMSE={v.rmse:.4f} MAE={v.mae:.4f} {state}"))
