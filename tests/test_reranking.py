"""The reranking stage: a popularity penalty set by the dial, and genre calibration."""
import numpy as np
import pytest

from recommender.pipeline import History, ScoredTitle
from recommender.pipeline.reranking import LESSER_KNOWN, CalibratedReranker, RerankConfig, popularity
from recommender.serving import LoadedModel
from recommender.storage import FactorModel

# Titles 1..6: 1-4 Drama (1 and 2 blockbusters), 5-6 Horror; title 6 was never rated (placed by content).
COUNTS = np.array([1000.0, 900.0, 30.0, 25.0, 40.0, 0.0])
GENRES = {1: ["Drama"], 2: ["Drama"], 3: ["Drama"], 4: ["Drama"], 5: ["Horror"], 6: ["Horror"], 7: ["Horror"]}


def model() -> LoadedModel:
    n = 7  # title 7 is one the user rated
    factors = FactorModel(
        global_mean=3.5, user_ids=np.array([1], dtype=np.int64), title_ids=np.arange(1, n + 1, dtype=np.int64),
        bu=np.zeros(1), bi=np.zeros(n), pu=np.zeros((1, 2)), qi=np.zeros((n, 2)), reg=0.05,
        title_counts=np.append(COUNTS, 50.0),
    ).with_genres(GENRES)
    return LoadedModel.from_factors(1, factors)


def pool(*title_ids, scores=None) -> list[ScoredTitle]:
    scores = scores or [1.0 - 0.01 * index for index in range(len(title_ids))]
    return [ScoredTitle(t, 4.0, True, s) for t, s in zip(title_ids, scores, strict=True)]


def ids(titles) -> list[int]:
    return [t.title_id for t in titles]


def test_no_strength_and_no_genre_weight_keep_the_scorers_order():
    off = CalibratedReranker(RerankConfig(strength=0.0, genre_weight=0.0))
    assert ids(off(scored=pool(1, 2, 3, 5), history=History({7: 5.0}), n=3, model=model())) == [1, 2, 3]


def test_the_penalty_prefers_a_lesser_known_title_of_nearly_the_same_relevance():
    reranker = CalibratedReranker(RerankConfig(strength=0.5, genre_weight=0.0))
    # Relevance is rescaled over the pool: the weakest candidate (title 4) sets its zero.
    ranked = reranker(scored=pool(1, 3, 4, scores=[1.0, 0.98, 0.0]), history=History({2: 5.0}), n=2, model=model())
    assert ids(ranked) == [3, 1]
    # ... but not one far less relevant.
    far = reranker(scored=pool(1, 2, 3, scores=[1.0, 0.9, 0.0]), history=History({4: 5.0}), n=2, model=model())
    assert ids(far) == [1, 2]


def test_a_title_nobody_rated_is_neither_pushed_nor_held_back():
    # The unrated title counts as the median of the others (55), rescaled like them.
    assert popularity(np.array([100.0, 0.0, 10.0])) == pytest.approx([1.0, 0.5, 0.0])
    # Title 6 scores just below 3 and 5 (30 and 40 ratings; title 4 has 25): as the pool's median
    # (30 ratings) it passes only the most popular, 5; were an unrated title the least popular of
    # the pool (0 ratings), it would jump to the top.
    reranker = CalibratedReranker(RerankConfig(strength=0.5, genre_weight=0.0))
    ranked = reranker(scored=pool(3, 5, 6, 4, scores=[1.0, 0.95, 0.9, 0.0]), history=History({2: 5.0}), n=3, model=model())
    assert ids(ranked) == [3, 6, 5]


def test_genre_calibration_brings_in_the_genre_the_user_liked():
    history = History({7: 5.0, 4: 5.0})  # one Horror and one Drama title liked: half and half
    plain = CalibratedReranker(RerankConfig(strength=0.0, genre_weight=0.0))
    calibrated = CalibratedReranker(RerankConfig(strength=0.0))  # the default genre weight
    candidates = pool(1, 2, 5, 3, scores=[1.0, 0.95, 0.85, 0.0])
    assert ids(plain(scored=candidates, history=history, n=2, model=model())) == [1, 2]
    assert ids(calibrated(scored=candidates, history=history, n=2, model=model())) == [1, 5]


def test_popular_picks_for_a_newcomer_are_not_reranked():
    popular = [ScoredTitle(t, 4.0, False) for t in (1, 2, 3)]
    assert CalibratedReranker()(scored=popular, history=History(), n=2, model=model()) == popular[:2]


def test_a_model_without_title_facts_keeps_the_order():
    bare = LoadedModel.from_factors(1, FactorModel(
        global_mean=3.5, user_ids=np.array([1]), title_ids=np.arange(1, 4), bu=np.zeros(1), bi=np.zeros(3),
        pu=np.zeros((1, 2)), qi=np.zeros((3, 2)), reg=0.05))
    assert ids(CalibratedReranker()(scored=pool(3, 1, 2), history=History({1: 5.0}), n=2, model=bare)) == [3, 1]


def test_the_dial_maps_to_the_penalty():
    config = RerankConfig(strength=2.0, novelty=0.5)
    assert config.penalty(None) == config.penalty(0.5) == 2.0
    assert config.penalty(0.0) == 0.0
    assert config.penalty(0.25) == pytest.approx(1.0)
    assert config.penalty(1.0) == pytest.approx(2.0 * LESSER_KNOWN)


def test_a_title_without_genres_is_neither_helped_nor_hurt_by_calibration():
    history = History({4: 5.0})  # liked one Drama title
    bare = model()
    bare_facts = bare.title_facts
    calibrated = CalibratedReranker(RerankConfig(strength=0.0, genre_weight=1.0))
    # Title 7's genres are erased: with genre calibration it must still lead on relevance.
    no_genre = LoadedModel.from_factors(2, bare.factors.with_genres({**GENRES, 7: []}))
    assert bare_facts is not None
    ranked = calibrated(scored=pool(7, 3, 1, scores=[1.0, 0.99, 0.0]), history=history, n=2, model=no_genre)
    assert ids(ranked)[0] == 7
