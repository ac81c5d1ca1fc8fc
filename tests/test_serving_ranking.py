"""Serving with the ranking model: fold-in, top-N order, artifacts with and without ranking arrays."""
import dataclasses

import numpy as np
import pytest

from recommender import algorithms, neighbours, storage
from recommender.serving import LoadedModel
from recommender.storage import FactorModel
from tests.test_algorithms import low_rank_ratings


@pytest.fixture(scope="module")
def fitted():
    trainset = low_rank_ratings().build_full_trainset()
    algo = algorithms.build(algorithms.PRODUCTION).fit(trainset)
    return trainset, algo


def user_scores(trainset, inner_uid: int) -> dict[int, float]:
    return {int(trainset.to_raw_iid(i)): float(r) for i, r in trainset.ur[inner_uid]}


def test_ranking_fold_in_reproduces_training_scores(fitted):
    trainset, algo = fitted
    model = LoadedModel.from_factors(1, FactorModel.from_algorithm(algo, reg=algo.reg_pu))
    for u in (0, 7, 42):
        folded = model.ranking_vector(user_scores(trainset, u))
        served = model.ranking_qi32 @ folded
        trained = algo.ranking_qi @ algo.ranking_pu[u]
        # The trained vector is conjugate gradient run to convergence; the served one an exact solve.
        np.testing.assert_allclose(served, trained, atol=1e-3 * np.abs(trained).max())
        # Same top of the list for that user.
        assert set(np.argsort(-served)[:10]) == set(np.argsort(-trained)[:10])


def test_served_order_is_the_ranking_score_of_the_folded_in_user(fitted):
    trainset, algo = fitted
    model = LoadedModel.from_factors(1, FactorModel.from_algorithm(algo, reg=algo.reg_pu))
    f = model.factors
    for u in (3, 11):
        scores = user_scores(trainset, u)
        user_bias, user_vector = model.fold_in(scores)
        predicted = f.global_mean + user_bias + f.bi + f.qi @ user_vector
        rows, targets = model.rated(scores)
        liked = neighbours.user_vector(f.neighbour_basis, rows, targets, f.neighbour_min_rating)
        expected = (f.ranking_qi @ model.ranking_vector(scores) + f.ranking_bi + f.ranking_weight * predicted
                    + f.neighbour_qi @ liked)
        expected[rows] = -np.inf
        top = model.top_n(scores, 10)
        assert [title_id for title_id, _ in top] == [int(f.title_ids[r]) for r in np.argsort(-expected)[:10]]
        # The stars are the predicted rating of each chosen title.
        assert [stars for _, stars in top] == pytest.approx(
            [float(np.clip(predicted[model.row_of_title[t]], 0.5, 5.0)) for t, _ in top], abs=1e-4)


def tiny_model(with_ranking: bool) -> FactorModel:
    """Five titles; title 1 is rated. Ratings prefer titles 2 > 3 > 4 > 5, the ranking model 4 > 5 > 3 > 2."""
    ranking = {}
    if with_ranking:
        ranking = dict(ranking_qi=np.array([[1.0], [0.1], [0.2], [0.9], [0.5]], dtype=np.float32),
                       ranking_bi=np.zeros(5, dtype=np.float32), ranking_weight=0.01, ranking_reg=0.1,
                       ranking_alpha=3.0)
    return FactorModel(
        global_mean=3.0, user_ids=np.array([1], dtype=np.int64), title_ids=np.arange(1, 6, dtype=np.int64),
        bu=np.zeros(1), bi=np.array([0.0, 1.0, 0.5, 0.0, -0.5]), pu=np.zeros((1, 2)), qi=np.zeros((5, 2)),
        reg=0.05, **ranking,
    )


def test_top_n_orders_by_ranking_score_and_returns_predicted_ratings():
    model = LoadedModel.from_factors(1, tiny_model(with_ranking=True))
    ratings = {1: 5.0}
    predicted = model.predict_all(ratings)
    top = model.top_n(ratings, 4)
    assert [title_id for title_id, _ in top] == [4, 5, 3, 2]
    assert [value for _, value in top] == pytest.approx([predicted[row] for row in (3, 4, 2, 1)])
    assert model.top_n(ratings, 2, allowed_title_ids=[2, 3]) == [(3, pytest.approx(predicted[2])),
                                                                  (2, pytest.approx(predicted[1]))]


def test_save_load_round_trip_keeps_ranking_arrays(fitted):
    _, algo = fitted
    factors = FactorModel.from_algorithm(algo, reg=algo.reg_pu)
    stored = storage.save(factors, "model.npz")
    loaded = storage.load(stored.name, stored.sha256)
    assert loaded.has_ranking
    np.testing.assert_array_equal(loaded.ranking_qi, factors.ranking_qi)
    np.testing.assert_array_equal(loaded.ranking_bi, factors.ranking_bi)
    assert (loaded.ranking_weight, loaded.ranking_reg, loaded.ranking_alpha) == (
        algo.ranking_weight, algo.ranking_reg, algo.ranking_alpha)
    assert loaded.has_neighbours and loaded.neighbour_min_rating == algo.neighbour_min_rating
    np.testing.assert_array_equal(loaded.neighbour_basis, factors.neighbour_basis)
    np.testing.assert_array_equal(loaded.neighbour_qi, factors.neighbour_qi)
    with pytest.raises(storage.ArtifactError):
        storage.load(stored.name, "0" * 64)


def test_artifact_without_ranking_arrays_loads_and_ranks_by_rating(tmp_path):
    factors = tiny_model(with_ranking=False)
    path = tmp_path / "old.npz"
    # The artifact format before the ranking model: exactly these arrays.
    np.savez(path, **{field.name: np.asarray(getattr(factors, field.name))
                      for field in dataclasses.fields(FactorModel) if not field.name.startswith(("ranking_", "neighbour_"))
                      and field.name not in storage.FACT_ARRAYS})
    import hashlib

    loaded = storage.load(path, hashlib.sha256(path.read_bytes()).hexdigest())
    assert not loaded.has_ranking and not loaded.has_neighbours
    model = LoadedModel.from_factors(2, loaded)
    assert model.ranking_vector({1: 5.0}) is None
    assert [title_id for title_id, _ in model.top_n({1: 5.0}, 4)] == [2, 3, 4, 5]


def test_a_liked_title_pulls_its_neighbours_up_and_a_disliked_one_does_not():
    """Title 1's neighbour links point at title 5: liking 1 lifts 5 to the top; disliking it does not."""
    factors = dataclasses.replace(
        tiny_model(with_ranking=True),
        neighbour_basis=np.array([[1.0], [0.0], [0.0], [0.0], [0.0]], dtype=np.float32),
        neighbour_qi=np.array([[0.0], [0.0], [0.0], [0.0], [10.0]], dtype=np.float32),
        neighbour_min_rating=3.0,
    )
    model = LoadedModel.from_factors(3, factors)
    assert [title_id for title_id, _ in model.top_n({1: 5.0}, 4)] == [5, 4, 3, 2]
    assert [title_id for title_id, _ in model.top_n({1: 1.0}, 4)] == [4, 5, 3, 2]
