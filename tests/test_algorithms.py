"""Every registered algorithm on small synthetic low-rank ratings."""
import numpy as np
import pandas as pd
import pytest
from surprise import Dataset, Reader
from surprise.model_selection import cross_validate

from recommender import algorithms, evaluation, neighbours
from recommender.baselines import GlobalMean
from recommender.storage import FactorModel

# Small enough that every algorithm, Bayesian MF's sweeps included, fits in well under a second.
FAST_PARAMS = {"bayesian_mf": {"n_samples": 40, "burn_in": 10}, "bayesian_fm": {"n_iter": 40, "n_kept": 30}}


def low_rank_ratings(n_users: int = 80, n_items: int = 60, rank: int = 3, density: float = 0.4,
                     seed: int = 0) -> Dataset:
    """Whole-star ratings of a random rank-``rank`` matrix with user and item biases, plus noise."""
    rng = np.random.default_rng(seed)
    scores = (3.5 + rng.normal(0, 0.5, (n_users, 1)) + rng.normal(0, 0.5, (1, n_items))
              + rng.normal(0, 0.7, (n_users, rank)) @ rng.normal(0, 0.7, (rank, n_items))
              + rng.normal(0, 0.3, (n_users, n_items)))
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    frame = pd.DataFrame({"user": users + 1, "item": items + 1,
                          "rating": np.clip(np.round(scores[users, items]), 1, 5)})
    return Dataset.load_from_df(frame, Reader(rating_scale=(1, 5)))


def build(name: str):
    return algorithms.build(name, **FAST_PARAMS.get(name, {}))


@pytest.fixture(scope="module")
def data() -> Dataset:
    return low_rank_ratings()


def test_registry_names_resolve():
    assert algorithms.PRODUCTION in algorithms.ALGORITHMS
    assert algorithms.MOST_ACCURATE in algorithms.ALGORITHMS
    with pytest.raises(ValueError, match="unknown algorithm"):
        algorithms.build("no_such_algorithm")


@pytest.mark.parametrize("name", sorted(algorithms.ALGORITHMS))
def test_beats_global_mean(name, data):
    folds = evaluation.holdout(data, test_size=0.2, seed=1)
    results = {r.name: r for r in evaluation.evaluate({"global_mean": GlobalMean(), name: build(name)}, folds)}
    assert results[name].rmse < results["global_mean"].rmse - 0.05


@pytest.mark.parametrize("name", sorted(algorithms.ALGORITHMS))
def test_surprise_cross_validate(name, data):
    scores = cross_validate(build(name), data, measures=["rmse", "mae"], cv=2)
    assert len(scores["test_rmse"]) == 2
    assert np.all(scores["test_rmse"] < 1.2)


def test_production_exposes_servable_factors(data):
    trainset = data.build_full_trainset()
    algo = algorithms.build(algorithms.PRODUCTION).fit(trainset)
    assert isinstance(algo.reg_pu, float)
    factors = FactorModel.from_algorithm(algo, reg=algo.reg_pu)
    assert factors.pu.shape == (trainset.n_users, algo.n_factors)
    assert factors.qi.shape == (trainset.n_items, algo.n_factors)
    # The site's formula reproduces the algorithm's own predictions.
    for raw_user, raw_item in [(1, 1), (5, 7), (40, 30)]:
        u, i = trainset.to_inner_uid(raw_user), trainset.to_inner_iid(raw_item)
        served = factors.global_mean + factors.bu[u] + factors.bi[i] + factors.pu[u] @ factors.qi[i]
        assert algo.predict(raw_user, raw_item, clip=False).est == pytest.approx(served)


@pytest.mark.parametrize("name", ["biased_mf", "bayesian_mf", "bayesian_fm"])
def test_rating_matrix_matches_predict(name, data):
    trainset = data.build_full_trainset()
    algo = build(name).fit(trainset)
    # Biased MF ranks by a separate score, so its rating matrix is predict_users.
    rating_matrix = algo.predict_users if name == "biased_mf" else algo.score_users
    scores = rating_matrix(np.array([0, 3]))
    assert scores.shape == (2, trainset.n_items)
    for row, u in enumerate([0, 3]):
        for i in (0, 11):
            estimate = algo.predict(trainset.to_raw_uid(u), trainset.to_raw_iid(i), clip=False).est
            assert scores[row, i] == pytest.approx(estimate, rel=1e-5)


def test_production_ranks_by_implicit_score_plus_weighted_rating(data):
    trainset = data.build_full_trainset()
    algo = algorithms.build(algorithms.PRODUCTION).fit(trainset)
    assert algo.ranking_qi.shape == (trainset.n_items, algo.ranking_factors)
    assert algo.ranking_qi.dtype == np.float32 and algo.ranking_bi.shape == (trainset.n_items,)
    users = np.array([0, 3])
    predicted = algo.predict_users(users)
    liked = neighbours.user_vectors(algo.neighbour_basis, algo.user_ratings[users], algo.neighbour_min_rating)
    expected = (algo.ranking_pu[users] @ algo.ranking_qi.T + algo.ranking_bi + algo.ranking_weight * predicted
                + liked @ algo.neighbour_qi.T)
    np.testing.assert_allclose(algo.score_users(users), expected, rtol=1e-4, atol=1e-6)


def test_neighbour_term_spreads_neighbour_weight_times_the_rest(data):
    trainset = data.build_full_trainset()
    algo = algorithms.build(algorithms.PRODUCTION).fit(trainset)
    users = np.arange(trainset.n_users)  # fewer than CALIBRATION_USERS: the sample is every user
    without = algorithms.build(algorithms.PRODUCTION, neighbour_factors=0).fit(trainset)
    term = algo.score_users(users) - without.score_users(users)
    assert term.std(axis=1).mean() == pytest.approx(algo.neighbour_weight * without.score_users(users).std(axis=1).mean(), rel=1e-3)
    assert without.neighbour_qi.shape == (trainset.n_items, 0)
    assert not FactorModel.from_algorithm(without, reg=without.reg_pu).has_neighbours


def test_without_ranking_factors_ranks_by_predicted_rating(data):
    trainset = data.build_full_trainset()
    algo = algorithms.build("biased_mf", ranking_factors=0, neighbour_factors=0).fit(trainset)
    assert not FactorModel.from_algorithm(algo, reg=algo.reg_pu).has_ranking
    users = np.array([1, 2])
    np.testing.assert_allclose(algo.score_users(users), algo.predict_users(users))


@pytest.mark.parametrize("name", ["biased_mf", "bayesian_mf", "bayesian_fm"])
def test_unknown_user_or_item(name, data):
    algo = build(name).fit(data.build_full_trainset())
    assert 1 <= algo.predict(1, 10_000).est <= 5  # unknown item: user bias
    assert algo.predict(10_000, 10_000).details["was_impossible"]


@pytest.mark.parametrize("name", ["biased_mf", "bayesian_mf"])
def test_fit_is_reproducible(name, data):
    trainset = data.build_full_trainset()
    first, second = build(name).fit(trainset), build(name).fit(trainset)
    assert first.predict(1, 1).est == second.predict(1, 1).est
