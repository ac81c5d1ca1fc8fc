"""Onboarding that learns: informative questions against popular-first, simulated on ML-1M.

Held-out users (the new-user protocol's folds, ``recommender.new_users``) go through onboarding
as a new user of the site would: the production model was fitted on the other users; it asks
about titles in the order ``catalog.onboarding`` chooses (the site's own functions: "popular-first"
= log ratings spread over genres and decades, as the site asked before; "informative" = expected
information from the model's factors), from the most-rated ``POOL`` titles as on the site; Rashid
et al.'s log popularity x entropy (IUI 2002) is measured beside them. A user answers with their real rating, or "haven't seen" where they have none (which counts
as a question). After 5 and 10 questions the site's pipeline (fold-in, reranking as served;
popular titles below the site's minimum of ratings) ranks every title not rated, and NDCG@10 is
scored against the user's ratings >= 4 outside the titles either strategy asked about, which
neither may recommend (so all are scored on the same titles). Per question count it prints each
strategy's mean NDCG@10, its ratio to popular-first with a paired Wilcoxon signed-rank test per
user, and the ratings gained per question.

    .venv/bin/python bench/bench_onboarding.py                  # ML-1M, 5 folds
    .venv/bin/python bench/bench_onboarding.py --folds 1
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

from bench_model import DEFAULT_DATASETS_DIR, LOADERS, load_genres  # noqa: E402 (sets Django up)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import wilcoxon  # noqa: E402

from catalog.onboarding import Candidate, expected_information, spread, user_covariance  # noqa: E402
from recommender import algorithms, new_users  # noqa: E402
from recommender.evaluation import pipeline_history_scorer, ranking_metrics  # noqa: E402
from recommender.pipeline import MIN_RATINGS_FOR_PERSONAL  # noqa: E402

QUESTIONS = (5, 10)
POOL = 400  # as catalog.discovery.ONBOARDING_POOL: the site asks about its most-rated titles
TOP_N = 10
RELEVANT = 4.0
BASELINE, OURS, RASHID = "popular-first", "informative", "log pop x entropy"


def load_decades(dataset_name: str) -> dict[int, int | None]:
    """Each ML-1M movie's decade, from the year in its title."""
    datasets_dir = Path(os.environ.get("STREAMREC_DATASETS_DIR", DEFAULT_DATASETS_DIR))
    movies = pd.read_csv(datasets_dir / "movielens-1m" / "movies.dat", sep="::", engine="python",
                         encoding="latin-1", names=["item", "title", "genres"])
    decades = {}
    for item, title in zip(movies["item"], movies["title"], strict=True):
        year = re.search(r"\((\d{4})\)\s*$", str(title))
        decades[int(item)] = int(year[1]) // 10 * 10 if year else None
    return decades


def star_entropy(scores) -> float:
    """Entropy (bits) of a title's ratings grouped by whole star."""
    counts = np.bincount(np.clip(np.ceil(np.asarray(scores, dtype=np.float64)), 1, 5).astype(int), minlength=6)[1:]
    shares = counts[counts > 0] / counts.sum()
    return float(-(shares * np.log2(shares)).sum())


def questions(algo, trainset, genres, decades, n: int) -> dict[str, list[int]]:
    """Per strategy, the first ``n`` titles it asks about (inner ids): the site's two orders
    (``catalog.onboarding``) and Rashid et al.'s log popularity x entropy for comparison."""
    counts = np.array([len(trainset.ir[i]) for i in range(trainset.n_items)])
    pool = np.argsort(-counts, kind="stable")[:POOL]
    candidates = []
    for item in pool:
        raw = int(trainset.to_raw_iid(int(item)))
        candidates.append(Candidate(int(item), int(counts[item]), frozenset(genres.get(raw, ())), decades.get(raw)))
    seen_share = counts[pool] / trainset.n_users
    informative = expected_information(seen_share, np.asarray(algo.qi)[pool], user_covariance(algo.pu), n)
    entropy = np.array([star_entropy([score for _, score in trainset.ir[int(item)]]) for item in pool])
    rashid = np.argsort(-(np.log1p(counts[pool]) * entropy), kind="stable")[:n]
    return {BASELINE: spread(candidates, n), OURS: [int(pool[i]) for i in informative],
            RASHID: [int(pool[i]) for i in rashid]}


def simulate(fold, genres, decades) -> dict:
    """Per strategy and question count: each scored user's NDCG@10 and answers (same users, same
    order); and what each strategy asked."""
    trainset = fold.trainset
    algo = algorithms.build(algorithms.PRODUCTION)
    algo.fit(trainset)
    score_histories = pipeline_history_scorer(algo, TOP_N, genres)
    popularity = np.array([len(trainset.ir[i]) for i in range(trainset.n_items)], dtype=np.float64)
    asked = questions(algo, trainset, genres, decades, max(QUESTIONS))
    results = {}
    for k in QUESTIONS:
        union = set().union(*(asked[name][:k] for name in asked))
        users = []
        for user in fold.users:
            ratings = {}
            for raw, score in user.ratings:
                try:
                    ratings[trainset.to_inner_iid(raw)] = score
                except ValueError:
                    pass
            relevant = [item for item, score in ratings.items() if score >= RELEVANT and item not in union]
            if relevant:
                users.append((ratings, relevant))
        for name in asked:
            histories = [{item: ratings[item] for item in asked[name][:k] if item in ratings} for ratings, _ in users]
            scores = np.full((len(users), trainset.n_items), -np.inf)
            personal = [row for row, history in enumerate(histories) if len(history) >= MIN_RATINGS_FOR_PERSONAL]
            if personal:
                scores[personal] = score_histories([histories[row] for row in personal], [union] * len(personal))
            for row, history in enumerate(histories):
                if len(history) < MIN_RATINGS_FOR_PERSONAL:
                    scores[row] = popularity  # the site's popular picks until enough ratings
            given = np.zeros(scores.shape, dtype=bool)
            relevant = np.zeros(scores.shape, dtype=bool)
            given[:, list(union)] = True  # neither strategy recommends a title either asked about
            for row, (history, (_, items)) in enumerate(zip(histories, users, strict=True)):
                given[row, list(history)] = True
                relevant[row, items] = True
            metrics = ranking_metrics(scores, given, relevant, relevant.sum(axis=1), TOP_N)
            results[(name, k)] = (metrics.ndcg, np.array([len(h) for h in histories]))
    return results, asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    algorithms.warm_up()
    data = LOADERS["ml-1m"](None)
    genres, decades = load_genres("ml-1m"), load_decades("ml-1m")
    print(f"## ml-1m: {len(data.raw_ratings)} ratings, {args.folds} fold(s) of held-out users, production = "
          f"{algorithms.PRODUCTION}, questions from the {POOL} most-rated titles", flush=True)
    folds = new_users.new_user_folds(data, args.folds, seed=args.seed)
    per_fold = []
    for number, fold in enumerate(folds, start=1):
        started = time.perf_counter()
        results, first = simulate(fold, genres, decades)
        per_fold.append(results)
        if number == 1:
            for name, items in first.items():
                print(f"  {name} asks first (ML-1M ids): " + "; ".join(str(fold.trainset.to_raw_iid(i)) for i in items))
        print(f"  fold {number}: {len(fold.users)} held-out users, {time.perf_counter() - started:.0f}s", flush=True)
    print("\n| questions | strategy | users | NDCG@10 | ratings gained per question | ratio to popular-first | p (Wilcoxon, paired) |")
    print("|---|---|---|---|---|---|---|")
    verdicts = []
    for k in QUESTIONS:
        names = sorted({name for name, _ in per_fold[0]}, key=lambda name: name != BASELINE)
        ndcg = {name: np.concatenate([fold[(name, k)][0] for fold in per_fold]) for name in names}
        answers = {name: np.concatenate([fold[(name, k)][1] for fold in per_fold]) for name in names}
        ratio = ndcg[OURS].mean() / ndcg[BASELINE].mean()
        for name in names:
            p = wilcoxon(ndcg[name], ndcg[BASELINE]).pvalue if name != BASELINE else None
            print(f"| {k} | {name} | {len(ndcg[name])} | {ndcg[name].mean():.4f} | {answers[name].mean() / k:.3f} | "
                  f"{ndcg[name].mean() / ndcg[BASELINE].mean():.3f} | {'—' if name == BASELINE else f'{p:.2g}'} |")
        p = wilcoxon(ndcg[OURS], ndcg[BASELINE]).pvalue
        verdicts.append(f"after {k} questions: informative NDCG@10 {ndcg[OURS].mean():.4f} / popular-first "
                        f"{ndcg[BASELINE].mean():.4f} = {ratio:.3f}x, p = {p:.2g}"
                        + (f" (bar: better with p < 0.05): {'PASS' if ratio > 1 and p < 0.05 else 'FAIL'}" if k == 10 else ""))
    print()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
