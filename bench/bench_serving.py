"""Serving speed: top-10 for one user over a 30,000-title catalog, and the fold-in that makes fresh
ratings count without a retrain: top_n ranks by the ranking model (its user vector folded in too)
and returns predicted ratings.

Ours: ``recommender.serving.LoadedModel`` (vectorised scoring, argpartition, rated titles masked,
user vector folded in from the current ratings). Reference in the same run: scikit-surprise's own
way to rank, ``algo.predict(uid, iid)`` for every title, on the same factors.

    .venv/bin/python bench/bench_serving.py [--titles 30000] [--factors 64] [--ranking-factors 64] [--repeats 200]
"""
import os

# As in every StreamRec process (streamrec/__init__.py): single-threaded BLAS for request-time scoring.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from timing import timed  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

import django  # noqa: E402

django.setup()

from surprise import SVD, Dataset, Reader  # noqa: E402

from recommender.serving import LoadedModel  # noqa: E402
from recommender.storage import FactorModel  # noqa: E402


def synthetic_model(n_users: int, n_titles: int, n_factors: int, ranking_factors: int, seed: int = 0) -> FactorModel:
    """Random factors of the production shape: a rating model and, unless ``ranking_factors`` is 0,
    a ranking model (implicit factors at the production regularisation and confidence)."""
    rng = np.random.default_rng(seed)
    ranking = {}
    if ranking_factors:
        ranking = dict(ranking_qi=rng.normal(0, 0.05, (n_titles, ranking_factors)).astype(np.float32),
                       ranking_bi=np.zeros(n_titles, dtype=np.float32), ranking_weight=0.15,
                       ranking_reg=30.0, ranking_alpha=3.0)
    return FactorModel(
        global_mean=3.5,
        user_ids=np.arange(1, n_users + 1, dtype=np.int64),
        title_ids=np.arange(1, n_titles + 1, dtype=np.int64),
        bu=rng.normal(0, 0.3, n_users),
        bi=rng.normal(0, 0.3, n_titles),
        pu=rng.normal(0, 0.1, (n_users, n_factors)),
        qi=rng.normal(0, 0.1, (n_titles, n_factors)),
        reg=0.05,
        **ranking,
    )


def surprise_reference(factors: FactorModel) -> SVD:
    """A surprise SVD carrying the same factors, so ``predict`` scores exactly what we score."""
    import pandas as pd

    # One rating per title at the global mean: the trainset knows every title, in our row order.
    frame = pd.DataFrame({"u": 1, "i": factors.title_ids, "r": factors.global_mean})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5))).build_full_trainset()
    algo = SVD(n_factors=factors.qi.shape[1], n_epochs=0)
    algo.fit(trainset)
    algo.bi, algo.qi = factors.bi, factors.qi
    algo.bu, algo.pu = factors.bu[:1], factors.pu[:1]
    return algo


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--titles", type=int, default=30_000)
    parser.add_argument("--factors", type=int, default=64, help="rating factors (production: 64)")
    parser.add_argument("--ranking-factors", type=int, default=64, help="0 ranks by predicted rating")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    factors = synthetic_model(n_users=1000, n_titles=args.titles, n_factors=args.factors,
                              ranking_factors=args.ranking_factors)
    model = LoadedModel.from_factors(version_id=0, factors=factors)
    rng = np.random.default_rng(1)
    rows = []
    for n_ratings in (3, 50, 500):
        rated = rng.choice(factors.title_ids, size=n_ratings, replace=False)
        ratings = {int(t): float(rng.integers(1, 11) / 2) for t in rated}
        # Both user vectors a request folds in: the rating one and the ranking one.
        fold_p50, fold_p95 = summary(timed(lambda: (model.fold_in(ratings), model.ranking_vector(ratings)),
                                           args.repeats))
        top_p50, top_p95 = summary(timed(lambda: model.top_n(ratings, 10), args.repeats))
        rows.append((n_ratings, fold_p50, fold_p95, top_p50, top_p95))

    ratings = {int(t): 4.0 for t in factors.title_ids[:50]}
    reference = surprise_reference(factors)

    def reference_top10():
        rated = set(ratings)
        predictions = [(t, reference.predict(1, int(t)).est) for t in factors.title_ids if int(t) not in rated]
        predictions.sort(key=lambda pair: -pair[1])
        return predictions[:10]

    ref_p50, ref_p95 = summary(timed(reference_top10, max(3, args.repeats // 50), warm_up=1))
    ours_p50, ours_p95 = summary(timed(lambda: model.top_n(ratings, 10), args.repeats))

    print(f"Serving latency, {args.titles:,} titles x {args.factors} rating factors + {args.ranking_factors} "
          f"ranking factors, {args.repeats} repeats (ms)")
    print(f"{'user ratings':>12} | {'fold-in p50':>11} | {'fold-in p95':>11} | {'top-10 p50':>10} | {'top-10 p95':>10}")
    print("-" * 66)
    for n_ratings, fold_p50, fold_p95, top_p50, top_p95 in rows:
        print(f"{n_ratings:>12} | {fold_p50:>11.3f} | {fold_p95:>11.3f} | {top_p50:>10.3f} | {top_p95:>10.3f}")
    print()
    print(f"{'top-10, 50 ratings':<34} | {'p50 ms':>9} | {'p95 ms':>9} | {'ratio':>7}")
    print("-" * 68)
    print(f"{'surprise predict() per title':<34} | {ref_p50:>9.2f} | {ref_p95:>9.2f} | {1.0:>7.2f}")
    print(f"{'StreamRec LoadedModel.top_n':<34} | {ours_p50:>9.3f} | {ours_p95:>9.3f} | {ours_p50 / ref_p50:>7.4f}")


if __name__ == "__main__":
    main()
