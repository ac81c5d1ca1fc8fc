"""Approximate top-10 (``recommender.ann``: faiss IVF over the order score's vectors) against the
exact served scan (``recommender.scoring.top_rows``), in the same run, on synthetic catalogs of
100k and 1M titles, without a filter and with a services filter that keeps 10 % of the titles.

Both answer the same question: the 10 rows with the highest order score ``order_base + order_factors
@ v``, never one of the user's rated titles, only allowed titles under a filter. recall@10 is the
share of the exact top-10 that the index path returns (its answer is rescored exactly, so a title
it returns is one the exact scan ranks there too, or a tie).

Synthetic data (seeded; no dataset is needed). The production order rows are [ranking ALS 64 |
rating factors 64 | EASE neighbour factors 64] (``serving.LoadedModel``), so rows are 192 wide:
- tastes: 32 topic vectors, N(0, 1/192) per coordinate;
- a title: its topic mixture ~ Dirichlet(0.1) (a few genres each), times a popularity scale
  0.5 + log(1 + c) / log(1 + c_max) with c its rating count, Zipf(1.0) over a random popularity
  order (c_max = 100,000), plus N(0, 0.05^2) noise per coordinate (low rank plus noise);
- its order base (ranking bias + weight x rating bias): 0.3 log(1 + c) / log(1 + c_max) + N(0, 0.1^2);
- a user: a topic mixture ~ Dirichlet(0.1) times 3, plus N(0, 0.05^2) noise; 30 rated titles, 5 of
  them among their exact top-50 (so exclusions bite);
- the filter: a seeded 10 % of the titles (one service's catalog).
The 1M catalog is generated in blocks (770 MB of float32 rows); its index is built once and kept in
``var/bench_ann/`` for the next run (``--rebuild`` builds it again).

    .venv/bin/python bench/bench_ann.py [--titles N] [--queries 200] [--nprobe 16] [--rebuild]

Without ``--titles`` it runs 100k then 1M; the last line is the last size's summary:
``titles=N recall@10=R p50_ms=M exact_p50_ms=E filtered_recall@10=R2 filtered_p50_ms=M2``.
"""
import os

# As in every StreamRec process: single-threaded BLAS for request-time scoring.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
# Threads that wait sleep instead of spinning: on a shared machine spinning steals the cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import inspect  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402

from recommender import ann, scoring  # noqa: E402

WIDTH, TOPICS, MAX_COUNT = 192, 32, 100_000
BLOCK = 100_000
RATED, RATED_FROM_TOP = 30, 5


def synthetic_catalog(n_titles: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order_factors, order_base, topics) of ``n_titles`` synthetic titles (see the module doc)."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(0, 1 / np.sqrt(WIDTH), (TOPICS, WIDTH)).astype(np.float32)
    popularity_rank = rng.permutation(n_titles) + 1
    counts = np.maximum(1.0, MAX_COUNT / popularity_rank)  # Zipf(1.0)
    popularity = (np.log1p(counts) / np.log1p(MAX_COUNT)).astype(np.float32)
    factors = np.empty((n_titles, WIDTH), dtype=np.float32)
    base = np.empty(n_titles, dtype=np.float32)
    for start in range(0, n_titles, BLOCK):
        stop = min(start + BLOCK, n_titles)
        mixture = rng.dirichlet(np.full(TOPICS, 0.1), stop - start).astype(np.float32)
        block = mixture @ topics
        block *= (0.5 + popularity[start:stop])[:, None]
        block += rng.normal(0, 0.05, block.shape).astype(np.float32)
        factors[start:stop] = block
        base[start:stop] = 0.3 * popularity[start:stop] + rng.normal(0, 0.1, stop - start)
    return factors, base, topics


def synthetic_users(topics: np.ndarray, n_users: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixture = rng.dirichlet(np.full(TOPICS, 0.1), n_users).astype(np.float32)
    return (3 * mixture @ topics + rng.normal(0, 0.05, (n_users, WIDTH))).astype(np.float32)


def cached_index(factors: np.ndarray, base: np.ndarray, rebuild: bool) -> tuple[faiss.Index, float | None]:
    """The catalog's index, from ``var/bench_ann/`` when this exact catalog was indexed before."""
    # The same catalog indexed by the same code (``ann.build_index`` and its constants).
    recipe = inspect.getsource(ann.build_index) + repr((ann.CELLS_PER_SQRT_TITLES, ann.TRAINING_POINTS_PER_CELL))
    digest = hashlib.sha256(factors[:: max(1, len(factors) // 1000)].tobytes() + base.tobytes() + recipe.encode()).hexdigest()[:16]
    path = ROOT / "var" / "bench_ann" / f"index-{len(base)}-{digest}.faiss"
    if path.exists() and not rebuild:
        return faiss.read_index(str(path)), None
    started = time.perf_counter()
    faiss.omp_set_num_threads(2)  # building may use both cores
    index = ann.build_index(factors, base)
    faiss.omp_set_num_threads(1)  # a web process answers one request per thread
    seconds = time.perf_counter() - started
    path.parent.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index, str(path))
    return index, seconds


def timed_calls(function, users, rated) -> tuple[list, list[float], list[float]]:
    """Each call's answer, wall ms and CPU ms."""
    answers, wall, cpu = [], [], []
    for vector, excluded in zip(users, rated, strict=True):
        w, c = time.perf_counter(), time.process_time()
        answers.append(function(vector, excluded))
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return answers, wall, cpu


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def run(n_titles: int, queries: int, nprobe: int, rebuild: bool) -> dict:
    started = time.perf_counter()
    factors, base, topics = synthetic_catalog(n_titles)
    title_ids = np.arange(1, n_titles + 1, dtype=np.int64)
    generated = time.perf_counter() - started
    index, build_seconds = cached_index(factors, base, rebuild)
    order_index = ann.OrderIndex(index, nprobe)
    rng = np.random.default_rng(1)
    allowed_ids = np.sort(rng.choice(title_ids, size=n_titles // 10, replace=False))

    def allowed_rows() -> np.ndarray:  # what the exact path does per filtered request
        return ann.members(allowed_ids, title_ids)

    users = synthetic_users(topics, queries, seed=2)
    no_filter = np.zeros(0, dtype=np.bool_)
    scoring.top_rows(factors[:10], base[:10], users[0], np.zeros(0, dtype=np.int64), no_filter, 10)  # compile/load
    queries_rated = []
    for vector in users:
        top50 = scoring.top_rows(factors, base, vector, np.zeros(0, dtype=np.int64), no_filter, 50)
        queries_rated.append(np.unique(np.concatenate([rng.choice(top50, RATED_FROM_TOP, replace=False),
                                                       rng.choice(n_titles, RATED - RATED_FROM_TOP, replace=False)])).astype(np.int64))
    results = {"fallbacks": 0}
    for filtered in (False, True):
        prefix = "f_" if filtered else ""
        allowed = allowed_ids if filtered else None
        # Each path in its own loop: on a shared machine a short call right after a long one is
        # the likeliest to be preempted, which would charge the index for the exact scan's time.
        exact, results[prefix + "exact_ms"], _ = timed_calls(
            lambda vector, rated: scoring.top_rows(factors, base, vector, rated, allowed_rows() if filtered else no_filter, 10),
            users, queries_rated)
        answers, results[prefix + "ms"], results[prefix + "cpu_ms"] = timed_calls(
            lambda vector, rated: ann.top_rows(order_index, factors, base, vector, rated, 10, title_ids, allowed),
            users, queries_rated)
        for rated, truth, answer in zip(queries_rated, exact, answers, strict=True):
            assert not np.isin(answer.rows, rated).any(), "a rated title came back"
            if filtered:
                assert np.isin(title_ids[answer.rows], allowed_ids).all(), "a title outside the filter came back"
        results[prefix + "recall"] = [len(np.intersect1d(truth, answer.rows)) / len(truth) for truth, answer in zip(exact, answers, strict=True)]
        results["fallbacks"] += sum(answer.path == "exact" for answer in answers)
    return {
        "titles": n_titles, "generated_s": generated, "build_s": build_seconds, "cells": faiss.extract_index_ivf(index).nlist,
        "nprobe": order_index.nprobe, "recall": float(np.mean(results["recall"])), "p50": p50(results["ms"]), "cpu_p50": p50(results["cpu_ms"]),
        "exact_p50": p50(results["exact_ms"]), "f_recall": float(np.mean(results["f_recall"])),
        "f_p50": p50(results["f_ms"]), "f_cpu_p50": p50(results["f_cpu_ms"]), "f_exact_p50": p50(results["f_exact_ms"]), "fallbacks": results["fallbacks"],
        "queries": queries, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--titles", type=int, action="append", help="catalog size (repeatable); default 100k and 1M")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nprobe", type=int, default=int(os.environ.get("STREAMREC_ANN_NPROBE", "32")))
    parser.add_argument("--rebuild", action="store_true", help="build the index again even when var/bench_ann/ has it")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # a web process answers one request per thread
    sizes = args.titles or [100_000, 1_000_000]
    print("| titles | cells / probed | index build s | recall@10 | ANN p50 ms (CPU) | exact p50 ms | speed-up "
          "| filtered recall@10 | filtered ANN p50 ms (CPU) | filtered exact p50 ms | fallbacks | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for n_titles in sizes:
        r = run(n_titles, args.queries, args.nprobe, args.rebuild)
        rows.append(r)
        build = "cached" if r["build_s"] is None else f"{r['build_s']:.1f}"
        print(f"| {n_titles:,} | {r['cells']} / {r['nprobe']} | {build} | {r['recall']:.3f} | {r['p50']:.2f} ({r['cpu_p50']:.2f}) | "
              f"{r['exact_p50']:.2f} | {r['exact_p50'] / r['p50']:.1f}x | {r['f_recall']:.3f} | {r['f_p50']:.2f} ({r['f_cpu_p50']:.2f}) | "
              f"{r['f_exact_p50']:.2f} | {r['fallbacks']} / {2 * r['queries']} | {r['peak_rss_mib']:.0f} |", flush=True)
    last = rows[-1]
    print(f"load average at the end (2 cores shared): {os.getloadavg()[0]:.1f}")
    for label, recall, ms in (("no filter", last["recall"], last["p50"]), ("10 % filter", last["f_recall"], last["f_p50"])):
        goal = recall >= 0.95 and ms <= 5.0
        print(f"goal at {last['titles']:,} titles, {label} (recall@10 >= 0.95, top-10 <= 5 ms): {'met' if goal else 'NOT met'}")
    print(f"titles={last['titles']} recall@10={last['recall']:.3f} p50_ms={last['p50']:.2f} exact_p50_ms={last['exact_p50']:.2f} "
          f"filtered_recall@10={last['f_recall']:.3f} filtered_p50_ms={last['f_p50']:.2f}")


if __name__ == "__main__":
    main()
