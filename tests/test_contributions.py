"""Each rated title's share of a recommended title's order score ("Because you rated X")."""
import numpy as np
import pytest

from recommender import algorithms
from recommender.contributions import contributions
from recommender.serving import LoadedModel
from recommender.storage import FactorModel
from tests.test_algorithms import low_rank_ratings


@pytest.fixture(scope="module")
def model():
    algo = algorithms.build(algorithms.PRODUCTION).fit(low_rank_ratings().build_full_trainset())
    return LoadedModel.from_factors(1, FactorModel.from_algorithm(algo, reg=algo.reg_pu))


@pytest.mark.parametrize("scores", [{1: 5.0, 2: 3.5, 3: 4.0, 7: 1.0}, {10: 4.5, 11: 5.0, 12: 2.0, 13: 4.0, 14: 3.0}])
def test_the_shares_add_up_to_the_order_score(model, scores):
    ranked = model.ranked(scores, 10)
    rated_ids, shares = contributions(model, scores, [title_id for title_id, _, _ in ranked])
    assert sorted(rated_ids.tolist()) == sorted(scores)
    for row, (title_id, _, order) in enumerate(ranked):
        base = float(model.order_base[model.row_of_title[title_id]])
        assert base + shares[row].sum() == pytest.approx(order, rel=1e-4, abs=1e-4)


def test_without_ranking_or_neighbour_parts_the_shares_are_the_rating_fold_in(model):
    bare = LoadedModel.from_factors(2, FactorModel(
        global_mean=model.factors.global_mean, user_ids=model.factors.user_ids, title_ids=model.factors.title_ids,
        bu=model.factors.bu, bi=model.factors.bi, pu=model.factors.pu, qi=model.factors.qi, reg=model.factors.reg))
    scores = {1: 5.0, 2: 2.0, 3: 4.0}
    ranked = bare.ranked(scores, 5)
    _, shares = contributions(bare, scores, [t for t, _, _ in ranked])
    for row, (title_id, _, order) in enumerate(ranked):
        assert float(bare.order_base[bare.row_of_title[title_id]]) + shares[row].sum() == pytest.approx(order, rel=1e-4, abs=1e-4)
    assert np.all(np.isfinite(shares))
