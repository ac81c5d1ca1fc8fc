"""The reranker's trade-off curve: accuracy against popularity, overlap and calibration.

Runs the production model through the site's pipeline with the calibrated reranker
(``recommender.pipeline.reranking``) at several strengths (popularity penalties), on the same
folds, under both protocols (warm: random ratings held out; new users: held-out users given 10
ratings), and prints per strength NDCG@10, ARP, APLT, coverage, novelty, intra-list diversity,
inter-user overlap, miscalibration and long-tail NDCG (``recommender.beyond_accuracy``), with NDCG
and ARP as ratios to no reranking. The rows include the served default and the penalty at the
lesser-known end of the dial. Then it checks the bars of the personal-not-popular issue at the
default: NDCG@10 >= 0.9x no reranking on both protocols, ARP <= 0.7x, overlap <= 0.10; and at the
lesser-known end NDCG@10 >= 0.7x.

    .venv/bin/python bench/bench_rerank.py                         # ML-1M, 5 folds (~10 min)
    .venv/bin/python bench/bench_rerank.py --folds 1 --strengths 0,0.5,1
    .venv/bin/python bench/bench_rerank.py --jobs 4                # four strengths at once
"""
import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

from bench_model import LOADERS, load_genres  # noqa: E402 (sets Django up)

from recommender import algorithms, evaluation, new_users  # noqa: E402
from recommender.pipeline import RerankConfig  # noqa: E402

COLUMNS = ("ndcg", "arp", "aplt", "coverage", "novelty", "diversity", "overlap", "miscalibration", "tail_ndcg")
NEW_USER_K = 10
NDCG_FLOOR, ARP_CEILING, OVERLAP_CEILING = 0.9, 0.7, 0.10
LESSER_KNOWN_NDCG_FLOOR = 0.7


def measure(data, genres, folds: int, strength: float, seed: int) -> dict[str, dict]:
    """Both protocols' measures of the production pipeline's lists at one strength."""
    warm_folds = evaluation.kfold(data, folds, seed=seed) if folds > 1 else evaluation.holdout(data, 0.2, seed=seed)
    user_folds = new_users.new_user_folds(data, folds, seed=seed)
    # Strength 0 is the row everything is compared with: no reranking at all.
    reranking = RerankConfig(strength=strength) if strength > 0 else RerankConfig(strength=0.0, genre_weight=0.0)
    [warm] = evaluation.evaluate({"p": algorithms.build(algorithms.PRODUCTION)}, warm_folds,
                                 item_genres=genres, reranking={"p": reranking})
    [new] = new_users.evaluate_new_users({"p": algorithms.build(algorithms.PRODUCTION)}, user_folds, ks=(NEW_USER_K,),
                                         item_genres=genres, reranking={"p": reranking})
    print(f"  strength {strength}: warm NDCG {warm.ndcg:.4f} ARP {warm.beyond['arp']:.1f} overlap "
          f"{warm.beyond['overlap']:.3f}; new users NDCG {new.ndcg[NEW_USER_K]:.4f}", flush=True)
    return {"warm": {"ndcg": warm.ndcg, **warm.beyond}, "new users K=10": {"ndcg": new.ndcg[NEW_USER_K], **new.beyond[NEW_USER_K]}}


def curve(dataset: str, folds: int, strengths: list[float], seed: int, jobs: int) -> dict[str, dict[float, dict]]:
    """Per protocol and strength, the measures of the production pipeline's lists; the strengths
    run in ``jobs`` processes at once (the same folds in each: they are drawn from ``seed``)."""
    with ProcessPoolExecutor(max_workers=jobs, initializer=algorithms.warm_up) as pool:
        results = list(pool.map(_measure_dataset, [(dataset, folds, strength, seed) for strength in strengths]))
    return {protocol: {strength: result[protocol] for strength, result in zip(strengths, results, strict=True)}
            for protocol in ("warm", "new users K=10")}


def _measure_dataset(task: tuple[str, int, float, int]) -> dict[str, dict]:
    dataset, folds, strength, seed = task
    return measure(LOADERS[dataset](None), load_genres(dataset), folds, strength, seed)


def format_curve(rows: dict[float, dict], default: float, lesser_known: float) -> str:
    base = rows[min(rows)]
    lines = ["| strength | " + " | ".join(COLUMNS) + " | NDCG / none | ARP / none |",
             "|---|" + "---|" * (len(COLUMNS) + 2)]
    for strength, measures in rows.items():
        cells = [f"{measures[c]:.4f}" if c not in ("arp", "novelty") else f"{measures[c]:.2f}" for c in COLUMNS]
        mark = (" (default)" if strength == default else " (dial: lesser-known)" if strength == lesser_known
                else " (no reranking)" if strength == 0 else "")
        lines.append(f"| {strength:g}{mark} | " + " | ".join(cells)
                     + f" | {measures['ndcg'] / base['ndcg']:.3f} | {measures['arp'] / base['arp']:.3f} |")
    return "\n".join(lines)


def bar_lines(table: dict[str, dict[float, dict]], default: float, lesser_known: float) -> list[str]:
    lines = []
    for protocol, rows in table.items():
        none, chosen = rows[0.0], rows[default]
        ratio = chosen["ndcg"] / none["ndcg"]
        lines.append(f"{protocol}: default strength {default:g} NDCG@10 {chosen['ndcg']:.4f} / no rerank "
                     f"{none['ndcg']:.4f} = {ratio:.3f} (>= {NDCG_FLOOR}): {'PASS' if ratio >= NDCG_FLOOR else 'FAIL'}")
    for protocol, rows in table.items():
        arp = rows[default]["arp"] / rows[0.0]["arp"]
        overlap = rows[default]["overlap"]
        lines.append(f"{protocol}: ARP {rows[default]['arp']:.1f} / {rows[0.0]['arp']:.1f} = {arp:.3f} (<= {ARP_CEILING}): "
                     f"{'PASS' if arp <= ARP_CEILING else 'FAIL'}; inter-user overlap {overlap:.4f} (<= {OVERLAP_CEILING}): "
                     f"{'PASS' if overlap <= OVERLAP_CEILING else 'FAIL'}")
        ratio = rows[lesser_known]["ndcg"] / rows[0.0]["ndcg"]
        lines.append(f"{protocol}: dial at lesser-known (penalty {lesser_known:g}) NDCG@10 {ratio:.3f}x no rerank "
                     f"(>= {LESSER_KNOWN_NDCG_FLOOR}): {'PASS' if ratio >= LESSER_KNOWN_NDCG_FLOOR else 'FAIL'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="ml-1m", help="comma-separated: ml-1m, dslabs")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--strengths", default="0,0.25,0.5,0.6,0.75,0.9,1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="strengths measured at once, one process each")
    args = parser.parse_args()
    default, lesser_known = RerankConfig().strength, RerankConfig().penalty(1.0)
    strengths = sorted({0.0, default, lesser_known, *(float(s) for s in args.strengths.split(","))})
    for name in args.datasets.split(","):
        print(f"\n## {name}: {len(LOADERS[name](None).raw_ratings)} ratings, {args.folds} fold(s), "
              f"production = {algorithms.PRODUCTION}", flush=True)
        table = curve(name, args.folds, strengths, args.seed, args.jobs)
        for protocol, rows in table.items():
            print(f"\n### {protocol}\n")
            print(format_curve(rows, default, lesser_known))
        print()
        for line in bar_lines(table, default, lesser_known):
            print(line)


if __name__ == "__main__":
    main()
