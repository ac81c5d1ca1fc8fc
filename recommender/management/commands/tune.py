from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recommender import algorithms, tuning
from recommender.training import tune_and_train


class Command(BaseCommand):
    help = (
        "Search an algorithm's hyperparameters by k-fold cross-validation on the ratings in the database, "
        "then train a model version with the best ones (it serves if not worse than the current one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--algorithm", default=algorithms.PRODUCTION, choices=sorted(algorithms.ALGORITHMS))
        parser.add_argument("--folds", type=int, default=3)
        parser.add_argument("--by", default="rmse", choices=tuning.METRICS,
                            help="rank candidates by cross-validated RMSE (default) or NDCG@10 of the top-N lists")
        parser.add_argument(
            "--param", action="append", default=[], metavar="NAME=V1,V2",
            help="values to try for one parameter (repeatable); default: the algorithm's default grid",
        )

    def handle(self, *args, algorithm, folds, param, by, **options):
        try:
            grid = tuning.parse_grid(param) or None
            size = len(tuning.candidates_of(grid or tuning.default_grid(algorithm, by)))
            if folds < 2:
                raise ValueError("--folds must be at least 2")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with tqdm(total=size * folds, desc="fits", unit="fit", file=self.stderr._out) as bar:
            try:
                result, trained = tune_and_train(algorithm, grid, folds, progress=lambda line: bar.update(1), metric=by)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{'params':<70} {'RMSE':>7} {'MAE':>7} {'NDCG@10':>8} {'fit s':>6}")
        for candidate in result.candidates:
            r = candidate.result
            ndcg = f"{r.ndcg:.4f}" if r.ndcg is not None else "-"
            self.stdout.write(f"{str(candidate.params):<70} {r.rmse:>7.4f} {r.mae:>7.4f} {ndcg:>8} {r.fit_seconds:>6.1f}")
        v = trained.version
        best_ndcg = f"cv_ndcg={result.best.result.ndcg:.4f} " if by == "ndcg" else ""
        state = "activated" if trained.activated else "rejected (worse than serving; serving model unchanged)"
        self.stdout.write(self.style.SUCCESS(
            f"best={result.best.params} cv_rmse={result.best.result.rmse:.4f} {best_ndcg}-> version=v{v.pk} "
            f"held-out RMSE={v.rmse:.4f} MAE={v.mae:.4f} {state}"
        ))
