"""Explanations that make sense: "Because you rated X" names the liked title with the largest share
of the score (a near tie goes to one sharing a genre), a true genre sentence when none stands out,
and "more like this" lists alike in content as well as in factors."""
import numpy as np
import pytest

from catalog.models import Title
from recommender import algorithms, storage
from recommender.content import TitleContent
from recommender.contributions import contributions
from recommender.likeness import LikenessConfig
from recommender.pipeline import History, Recommendation
from recommender.pipeline.explanation import Explainer, ExplanationConfig
from recommender.pipeline.types import ScoredTitle, Taste
from recommender.serving import LoadedModel
from recommender.storage import FactorModel
from tests.test_algorithms import low_rank_ratings

GENRES = ("Action", "Comedy", "Drama", "Horror", "Sci-Fi", "Romance")


def genres_of(title_id: int) -> tuple[str, ...]:
    """Two genres per title, in a pattern the ratings know nothing of."""
    return (GENRES[title_id % 6], GENRES[(title_id // 6) % 6])


@pytest.fixture(scope="module")
def factors():
    algo = algorithms.build(algorithms.PRODUCTION).fit(low_rank_ratings().build_full_trainset())
    plain = FactorModel.from_algorithm(algo, reg=algo.reg_pu)
    return plain.with_genres({int(t): genres_of(int(t)) for t in plain.title_ids})


@pytest.fixture(scope="module")
def model(factors):
    return LoadedModel.from_factors(1, factors)


USERS = [{1: 5.0, 2: 3.5, 3: 4.0, 7: 1.0, 8: 4.5}, {10: 4.5, 11: 5.0, 12: 2.0, 13: 4.0, 14: 3.0},
         {20: 5.0, 21: 4.0, 22: 4.0, 30: 5.0, 31: 2.0, 40: 4.5, 41: 1.0}]


def personal(model, scores, n=10):
    return [ScoredTitle(title_id, stars, True, order) for title_id, stars, order in model.ranked(scores, n)]


def shares_a_genre(a: int, b: int) -> bool:
    return bool(set(genres_of(a)) & set(genres_of(b)))


@pytest.mark.parametrize("scores", USERS)
def test_the_named_title_is_the_largest_liked_share_or_a_near_tie_sharing_a_genre(model, scores):
    explainer = Explainer()
    ranked = personal(model, scores)
    because = explainer.because_ids(model=model, history=History(scores), ranked=ranked)
    assert because
    rated_ids, shares = contributions(model, scores, [item.title_id for item in ranked])
    for row, item in enumerate(ranked):
        if item.title_id not in because:
            continue
        named = because[item.title_id]
        assert scores[named] >= 4.0
        liked = {int(t): s for t, s in zip(rated_ids, shares[row], strict=True) if scores[int(t)] >= 4.0}
        largest = max(liked, key=liked.get)
        if named != largest:
            assert not shares_a_genre(item.title_id, largest) and shares_a_genre(item.title_id, named)
            assert liked[named] >= explainer.config.near_tie * liked[largest]


@pytest.mark.parametrize("scores", USERS)
def test_without_the_near_tie_rule_the_largest_liked_share_is_named(model, scores):
    explainer = Explainer(ExplanationConfig(near_tie=np.inf))
    ranked = personal(model, scores)
    because = explainer.because_ids(model=model, history=History(scores), ranked=ranked)
    rated_ids, shares = contributions(model, scores, [item.title_id for item in ranked])
    for row, item in enumerate(ranked):
        liked = {int(t): s for t, s in zip(rated_ids, shares[row], strict=True) if scores[int(t)] >= 4.0}
        if item.title_id in because:  # the others: no liked title stood out (counted by the next test)
            assert because[item.title_id] == max(liked, key=liked.get)
    assert because


def test_at_most_a_fifth_of_personal_picks_fall_back(model):
    explainer = Explainer()
    picks = fallbacks = 0
    for scores in USERS:
        ranked = personal(model, scores)
        because = explainer.because_ids(model=model, history=History(scores), ranked=ranked)
        picks += len(ranked)
        fallbacks += sum(item.title_id not in because for item in ranked)
    assert picks == 30 and fallbacks <= 0.2 * picks


def test_when_no_liked_title_stands_out_a_true_genre_is_said(model):
    explainer = Explainer(ExplanationConfig(clear_share=2.0, stand_out=1e9))  # nobody contributes that much
    scores = USERS[2]
    ranked = personal(model, scores, 20)
    because, tastes = explainer.reasons(model=model, history=History(scores), ranked=ranked)
    assert because == {} and tastes
    liked = [t for t, s in scores.items() if s >= 4.0]
    for item in ranked:
        sharing = {g: sum(g in genres_of(t) for t in liked) for g in genres_of(item.title_id)}
        if not any(sharing.values()):
            assert item.title_id not in tastes  # nothing true to say about genres
            continue
        taste = tastes[item.title_id]
        assert taste.genre in genres_of(item.title_id) and taste.liked == sharing[taste.genre] == max(sharing.values())


def test_the_sentences():
    title = Title(pk=1, name="Alien")
    assert str(Taste("Sci-Fi", 3)) == "Sci-Fi, like 3 titles you rated 4 or more"
    assert str(Taste("Horror", 1)) == "Horror, like a title you rated 4 or more"
    assert Recommendation(title, 4.2, True, None, Taste("Sci-Fi", 2)).explanation == "Sci-Fi, like 2 titles you rated 4 or more"
    assert Recommendation(title, 4.2, True).explanation == "Predicted 4.2 stars for you from your ratings"


def genre_share(model, config: LikenessConfig) -> float:
    pairs = [(t, s) for t in map(int, model.factors.title_ids[:30]) for s, _ in model.similar(t, 10, config)]
    return sum(shares_a_genre(t, s) for t, s in pairs) / len(pairs)


def test_more_like_this_blends_content_with_factors(model):
    factors_only = genre_share(model, LikenessConfig(content_weight=0.0))
    blended = genre_share(model, LikenessConfig())
    assert blended >= 0.8 and blended > factors_only + 0.2
    # The title itself is never listed, and the list is in likeness order.
    listed = model.similar(5, 10)
    assert 5 not in [t for t, _ in listed] and [s for _, s in listed] == sorted((s for _, s in listed), reverse=True)


def test_content_rows_survive_the_artifact_and_older_artifacts_use_genres(factors):
    contents = [TitleContent(int(t), "movie", 1990 + int(t) % 20, genres_of(int(t)), (f"Director {int(t) % 7}",), (), "")
                for t in factors.title_ids]
    with_content = factors.with_content(contents)
    stored = storage.save(with_content, "m.npz")
    loaded = storage.load(stored.name, stored.sha256)
    assert loaded.has_content
    assert np.array_equal(loaded.content_indptr, with_content.content_indptr)
    model = LoadedModel.from_factors(2, loaded)
    assert model.content.shape[0] == len(factors.title_ids)
    assert genre_share(model, LikenessConfig()) >= 0.8
    # An artifact made before content rows: the genres stand in; with neither, factors alone.
    assert LoadedModel.from_factors(3, factors).content is not None
    bare = FactorModel(global_mean=factors.global_mean, user_ids=factors.user_ids, title_ids=factors.title_ids,
                       bu=factors.bu, bi=factors.bi, pu=factors.pu, qi=factors.qi, reg=factors.reg)
    bare_model = LoadedModel.from_factors(4, bare)
    assert bare_model.content is None and len(bare_model.similar(5, 10)) == 10
