"""Watch activity as a model input, under the new-user protocol (``recommender.new_users``).

Watch events are derived from each held-out user's K given ratings by a stated rule: a rating of
4 or more was a finished viewing (a ``finish`` event at the end), 2 or less a viewing stopped at 10 %
more than a week ago (abandoned), anything between a viewing at 50 % (still watching). The site's
own rule (``ratings.watching``) turns those events into the stars the recommender folds in, exactly
as ``HistoryLookup`` reads a user's viewings. In one run, on the same held-out users and the same
model fits, three histories are ranked through the site's pipeline (reranked as served):

- **watch-only**: the derived watch events alone;
- **ratings**: the same K titles with their real ratings;
- **popularity**: the most rated titles (the fallback a user without any history gets).

    .venv/bin/python bench/bench_watch.py                      # ML-1M partial, 5 folds
    .venv/bin/python bench/bench_watch.py --datasets dslabs --folds 2

Goal (watch-activity issue): watch-only NDCG@10 >= 1.3x popularity and >= 0.8x the same users with
ratings. Every K is printed; the goal is judged at K = 10, the K of the activation gate (``train``).
At K = 5 the served lists from real ratings are themselves below 1.3x popularity on ML-1M.
"""
import argparse
import datetime
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_model import LOADERS, load_genres  # noqa: E402  (sets up Django)

from ratings import watching  # noqa: E402
from recommender import algorithms, new_users  # noqa: E402
from recommender.baselines import Popularity  # noqa: E402

TOP_N = 10
GOAL_K = 10
WATCH_ONLY_OVER_POPULARITY, WATCH_ONLY_OVER_RATINGS = 1.3, 0.8
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
DURATION = 6000  # seconds; only the share watched matters


def watched_stars(rating: float) -> float:
    """The stars the site reads for the viewing that the derivation rule makes of ``rating``."""
    if rating >= 4:
        event, position, last_event_at = "finish", DURATION, NOW
    elif rating <= 2:
        event, position, last_event_at = "progress", DURATION // 10, NOW - 2 * watching.RESUME_WINDOW
    else:
        event, position, last_event_at = "progress", DURATION // 2, NOW
    finished = watching.counts_as_finished(event, position, DURATION)
    return watching.implicit_score(watching.outcome(finished=finished, position_seconds=position, duration_seconds=DURATION,
                                                    last_event_at=last_event_at, now=NOW))


def as_watch_events(task: new_users._Task) -> new_users._Task:
    histories = [{item: watched_stars(rating) for item, rating in history.items()} for history in task.histories]
    return new_users._Task(histories, task.given, task.relevant, task.n_relevant)


def run(dataset_name: str, n_folds: int, seed: int) -> dict[str, dict[int, list[float]]]:
    data = LOADERS[dataset_name](None)
    genres = load_genres(dataset_name)
    folds = new_users.new_user_folds(data, n_folds, seed=seed)
    per_fold: dict[str, dict[int, list[float]]] = {"watch-only": {}, "ratings": {}, "popularity": {}}
    for number, fold in enumerate(folds, start=1):
        tasks = new_users.given_tasks(fold, new_users.KS, 4.0)
        production = algorithms.build(algorithms.PRODUCTION).fit(fold.trainset)
        served = new_users.history_scorer(production, TOP_N, genres)
        popularity = Popularity().fit(fold.trainset).score_histories
        for k, task in tasks.items():
            for name, scorer, given in (("ratings", served, task), ("watch-only", served, as_watch_events(task)),
                                        ("popularity", popularity, task)):
                ndcg, _, _ = new_users.score_task(scorer, given, TOP_N)
                per_fold[name].setdefault(k, []).append(float(ndcg.mean()))
        print(f"  fold {number}: " + ", ".join(f"K={k} watch-only {per_fold['watch-only'][k][-1]:.4f} ratings "
                                               f"{per_fold['ratings'][k][-1]:.4f} popularity {per_fold['popularity'][k][-1]:.4f}"
                                               for k in tasks), flush=True)
    return per_fold


def table(per_fold: dict[str, dict[int, list[float]]]) -> list[str]:
    def cell(values: list[float]) -> str:
        return f"{statistics.mean(values):.4f} ± {np.std(values):.4f}"

    lines = ["| K given | watch-only | ratings | popularity | watch-only / popularity | watch-only / ratings |",
             "|---|---|---|---|---:|---:|"]
    for k in sorted(per_fold["ratings"]):
        watch, rated, popular = (statistics.mean(per_fold[name][k]) for name in ("watch-only", "ratings", "popularity"))
        lines.append(f"| {k} | {cell(per_fold['watch-only'][k])} | {cell(per_fold['ratings'][k])} | {cell(per_fold['popularity'][k])} "
                     f"| {watch / popular:.2f} | {watch / rated:.2f} |")
    return lines


def verdicts(per_fold: dict[str, dict[int, list[float]]]) -> list[str]:
    lines = []
    for k in sorted(per_fold["ratings"]):
        watch, rated, popular = (statistics.mean(per_fold[name][k]) for name in ("watch-only", "ratings", "popularity"))
        ok = watch >= WATCH_ONLY_OVER_POPULARITY * popular and watch >= WATCH_ONLY_OVER_RATINGS * rated
        verdict = ("PASS" if ok else "FAIL") if k == GOAL_K else ("meets the goal" if ok else "below the goal") + " (not judged)"
        lines.append(f"watch-only K={k}: NDCG@{TOP_N} {watch:.4f} = {watch / popular:.2f}x popularity (goal >= {WATCH_ONLY_OVER_POPULARITY}), "
                     f"{watch / rated:.2f}x ratings (goal >= {WATCH_ONLY_OVER_RATINGS}): {verdict}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="ml-1m", help="comma-separated: ml-1m, dslabs")
    parser.add_argument("--folds", type=int, default=5, help="folds of held-out users (1 = one fifth held out)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    algorithms.warm_up()
    for dataset_name in args.datasets.split(","):
        print(f"\n## {dataset_name}: new users given K titles as watch events or as ratings, {args.folds} fold(s), seed {args.seed}\n", flush=True)
        per_fold = run(dataset_name, args.folds, args.seed)
        print()
        print("\n".join(table(per_fold)))
        print()
        print("\n".join(verdicts(per_fold)))


if __name__ == "__main__":
    main()
