"""Stage 5: explanation. Each recommended title with the liked title of the user's that added most
to its score in the model that ranked it ("Because you rated X 4.5": ``recommender.contributions``;
in a near tie, the one of the tied titles that shares a genre with it), and the titles read for
display. When no liked title stands out, none is named: the card says what
is true instead, a genre the title shares with titles the user liked ("Sci-Fi, like 3 titles you
rated 4 or more"), else that it was predicted from the user's ratings. ``bench/bench_explanations.py``
measures how often each happens and how often the named title shares a genre (bench/README.md)."""
from dataclasses import dataclass

import numpy as np

from catalog.summaries import title_summaries

from ..contributions import contributions
from .types import Because, History, Recommendation, ScoredTitle, Taste


@dataclass(frozen=True)
class ExplanationConfig:
    """``titles``: read the titles for display (False: offline evaluation, which needs ids only)."""

    titles: bool = True
    # A liked title is named only when it contributed clearly: its share is at least
    # ``clear_share`` of all the positive shares, or (someone with a hundred liked titles, where
    # no one title holds that much) at least ``stand_out`` times the mean positive share.
    clear_share: float = 0.15
    stand_out: float = 1.5
    # When the largest share is a liked title sharing no genre with the pick, a liked title that
    # does is named instead if its share is at least this part of the largest: a near tie, where
    # the title alike in content is the explanation a person understands.
    near_tie: float = 0.8


class Explainer:
    def __init__(self, config: ExplanationConfig = ExplanationConfig()):
        self.config = config

    def because_ids(self, *, model, history: History, ranked: list[ScoredTitle]) -> dict[int, int]:
        """Recommended title id -> the liked title explaining it (personal picks only)."""
        personal = [item.title_id for item in ranked if item.personalized and item.title_id in getattr(model, "row_of_title", {})]
        liked = set(history.liked_ids())
        if model is None or not personal or not liked:
            return {}
        rated_ids, shares = contributions(model, history.ratings, personal)
        is_liked = np.isin(rated_ids, list(liked))
        genres = getattr(getattr(model, "title_facts", None), "genres", None)
        because = {}
        for title_id, row in zip(personal, shares, strict=True):
            liked_shares = np.where(is_liked, row, -np.inf)
            order = np.argsort(-liked_shares, kind="stable")
            largest = liked_shares[order[0]]
            positive = row[row > 0]
            if not (largest > 0 and largest >= positive.sum() * min(self.config.clear_share, self.config.stand_out / len(positive))):
                continue
            chosen = int(order[0])
            if genres is not None and not _share_a_genre(model, genres, title_id, int(rated_ids[chosen])):
                tied = (j for j in order[1:] if liked_shares[j] >= self.config.near_tie * largest)
                chosen = next((int(j) for j in tied if _share_a_genre(model, genres, title_id, int(rated_ids[j]))), chosen)
            because[title_id] = int(rated_ids[chosen])
        return because

    def tastes(self, *, model, history: History, title_ids: list[int]) -> dict[int, Taste]:
        """For each of ``title_ids``, its genre most shared by the titles the user liked (the
        model's genre rows); titles sharing none are left out."""
        facts = getattr(model, "title_facts", None)
        if facts is None or facts.genres is None or not title_ids:
            return {}
        names = model.factors.genre_names
        liked_rows = [model.row_of_title[t] for t in history.liked_ids() if t in model.row_of_title]
        if not liked_rows:
            return {}
        liked_counts = np.asarray(facts.genres[liked_rows].sum(axis=0)).ravel()
        catalog_counts = np.asarray(facts.genres.sum(axis=0)).ravel()
        tastes = {}
        for title_id in title_ids:
            row = model.row_of_title.get(title_id)
            shared = [int(g) for g in facts.genres[row].indices if liked_counts[g] > 0] if row is not None else []
            if shared:
                # Most liked first; among equals the rarer genre in the catalog says more.
                genre = max(shared, key=lambda g: (liked_counts[g], -catalog_counts[g], str(names[g])))
                tastes[title_id] = Taste(str(names[genre]), int(liked_counts[genre]))
        return tastes

    def reasons(self, *, model, history: History, ranked: list[ScoredTitle]) -> tuple[dict[int, int], dict[int, Taste]]:
        """(title id -> liked title named, title id -> genre said instead) for the personal picks."""
        because = self.because_ids(model=model, history=history, ranked=ranked)
        unexplained = [item.title_id for item in ranked if item.personalized and item.title_id not in because]
        return because, self.tastes(model=model, history=history, title_ids=unexplained)

    def __call__(self, *, model, history: History, ranked: list[ScoredTitle]) -> list[Recommendation]:
        because, tastes = self.reasons(model=model, history=history, ranked=ranked)
        # One read for the recommended titles and the liked ones explaining them; an explaining
        # title is named even if it was hidden from the catalog since.
        titles = title_summaries([item.title_id for item in ranked] + list(because.values()), active_only=False)
        recommendations = []
        for item in ranked:
            title = titles.get(item.title_id)
            if title is None or not title.is_active:
                continue
            liked = titles.get(because.get(item.title_id))
            reason = Because(liked, history.ratings[liked.pk], liked.pk in history.watched) if liked is not None else None
            recommendations.append(Recommendation(title, item.predicted, item.personalized, reason,
                                                  tastes.get(item.title_id) if reason is None else None))
        return recommendations


def _share_a_genre(model, genres, title_id: int, other_id: int) -> bool:
    row, other = model.row_of_title[title_id], model.row_of_title[other_id]
    return bool(np.intersect1d(genres[row].indices, genres[other].indices).size)
