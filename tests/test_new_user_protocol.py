"""The new-user protocol (recommender/new_users.py), the ranking baselines (EASE, implicit ALS and
BPR) and the paired comparison, on a small dataset of two tastes: users who love the first half of
the titles and dislike the second, and the reverse."""
import numpy as np
import pandas as pd
import pytest
from surprise import SVD, Dataset, Reader

from recommender import evaluation, new_users
from recommender.baselines import (
    EASE, ImplicitALS, ImplicitBPR, Popularity, ease_weights, rated_matrix, validation_ndcg, validation_split,
)
from recommender.comparison import paired_verdict
from recommender.mf import BiasedMF

N_USERS, N_ITEMS = 120, 40


def two_tastes(seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(N_USERS):
        liked = range(0, N_ITEMS // 2) if user % 2 == 0 else range(N_ITEMS // 2, N_ITEMS)
        disliked = [item for item in range(N_ITEMS) if item not in liked]
        for item in rng.choice(list(liked), 14, replace=False):
            rows.append((user, int(item) + 1, float(rng.choice([4.0, 4.5, 5.0]))))
        for item in rng.choice(disliked, 4, replace=False):
            rows.append((user, int(item) + 1, float(rng.choice([1.0, 1.5, 2.0]))))
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"])
    return Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5)))


@pytest.fixture(scope="module")
def data():
    return two_tastes()


def test_folds_hold_out_whole_users_and_cover_every_user_once(data):
    folds = new_users.new_user_folds(data, n_splits=5, seed=0)
    assert len(folds) == 5
    held_counts = [len(fold.users) for fold in folds]
    assert sum(held_counts) == N_USERS and all(count == N_USERS // 5 for count in held_counts)
    for fold in folds:
        trained_users = {fold.trainset.to_raw_uid(u) for u in range(fold.trainset.n_users)}
        assert len(trained_users) == N_USERS - len(fold.users)
        held_ratings = sum(len(user.ratings) for user in fold.users)
        assert fold.trainset.n_ratings + held_ratings == len(data.raw_ratings)


def test_one_split_holds_out_a_fifth_and_the_same_seed_draws_the_same_ratings(data):
    [first] = new_users.new_user_folds(data, n_splits=1, seed=3)
    [again] = new_users.new_user_folds(data, n_splits=1, seed=3)
    assert len(first.users) == round(0.2 * N_USERS)
    assert first.users == again.users
    [other] = new_users.new_user_folds(data, n_splits=1, seed=4)
    assert other.users != first.users


def test_the_given_ratings_are_never_ranked_nor_counted_as_relevant(data):
    [fold] = new_users.new_user_folds(data, n_splits=1, seed=0)
    tasks = new_users.given_tasks(fold, (5, 10), 4.0)
    for k, task in tasks.items():
        assert all(len(history) <= k for history in task.histories)
        given, relevant = task.given.toarray(), task.relevant.toarray()
        assert not (given & relevant).any()
        assert (relevant.sum(axis=1) <= task.n_relevant).all()
    # a scorer that puts the given titles first still never recommends them: it scores exactly as
    # one that puts them last
    task = tasks[5]
    base = np.random.default_rng(1).random(task.given.shape)
    given = task.given.toarray()
    cheating, _, _ = new_users.score_task(lambda histories: np.where(given[: len(histories)], 100.0, base[: len(histories)]), task, 10)
    honest, _, _ = new_users.score_task(lambda histories: np.where(given[: len(histories)], -100.0, base[: len(histories)]), task, 10)
    assert len(cheating) == len(task.histories) and np.array_equal(cheating, honest)


def test_evaluation_scores_fold_in_models_and_leaves_the_others_out(data):
    models = {"popularity": Popularity(), "ease": EASE(reg=10.0), "implicit_als": ImplicitALS(factors=8, iterations=5),
              "implicit_bpr": ImplicitBPR(factors=8, iterations=10), "surprise_svd": SVD(random_state=0),
              "biased_mf": BiasedMF(n_factors=4, n_epochs=10)}
    results = {r.name: r for r in new_users.evaluate_new_users(models, new_users.new_user_folds(data, 2, seed=0), ks=(5, 10))}
    assert set(results) == {"popularity", "ease", "implicit_als", "biased_mf"}
    assert results["biased_mf"].ranking_path == evaluation.PIPELINE
    assert results["ease"].ranking_path == "own fold-in"
    # a taste is obvious from 5 ratings: a personal model finds it, popularity cannot
    assert results["ease"].ndcg[5] > 1.3 * results["popularity"].ndcg[5]
    assert results["biased_mf"].ndcg[10] > 1.3 * results["popularity"].ndcg[10]
    for result in results.values():
        assert len(result.per_user_ndcg[5]) == result.users[5] and result.ndcg_std[5] >= 0.0
    # every model is scored on the same users, in the same order (the paired test relies on it)
    assert len({r.users[5] for r in results.values()}) == 1


def test_ease_weights_are_the_closed_form_with_a_zero_diagonal():
    rng = np.random.default_rng(0)
    x = (rng.random((50, 12)) < 0.3).astype(np.float64)
    gram = x.T @ x
    weights = ease_weights(gram, 3.0)
    precision = np.linalg.inv(gram + 3.0 * np.eye(12))
    expected = np.eye(12) - precision / np.diag(precision)
    assert np.allclose(weights, expected)
    assert np.all(np.diag(weights) == 0.0)
    with pytest.raises(np.linalg.LinAlgError):
        ease_weights(-np.eye(3), 0.0)


def test_ease_tunes_lambda_inside_the_training_data_for_each_protocol(data):
    trainset = data.build_full_trainset()
    rated, ratings = rated_matrix(trainset)
    grid = (1.0, 10.0, 100.0, 100000.0)
    for protocol in ("warm", "new-user"):
        model = EASE(grid=grid, protocol=protocol).fit(trainset)
        fit_rows, queries, relevant = validation_split(rated, ratings, protocol, 0)
        gram = (fit_rows.T @ fit_rows).toarray().astype(np.float64)
        validated = [validation_ndcg(queries @ ease_weights(gram, reg), queries, relevant) for reg in grid]
        assert model.chosen_reg == grid[int(np.argmax(validated))]
        full_gram = (rated.T @ rated).toarray().astype(np.float64)
        assert np.allclose(model.weights, ease_weights(full_gram, model.chosen_reg), atol=1e-5)
    assert EASE(reg=7.0).fit(trainset).chosen_reg == 7.0


def test_validation_splits_keep_the_validation_part_out_of_the_fit(data):
    rated, ratings = rated_matrix(data.build_full_trainset())
    fit_rows, queries, relevant = validation_split(rated, ratings, "new-user", 0)
    assert fit_rows.shape[0] == N_USERS - N_USERS // 10 and queries.shape[0] == N_USERS // 10
    assert (np.asarray(queries.sum(axis=1)).ravel() == 10).all()
    assert not (queries.multiply(relevant)).nnz
    fit_rows, queries, relevant = validation_split(rated, ratings, "warm", 0)
    assert fit_rows.nnz + relevant.nnz <= rated.nnz and not fit_rows.multiply(relevant).nnz


def test_als_folds_a_new_user_in_like_a_user_it_was_trained_on(data):
    trainset = data.build_full_trainset()
    als = ImplicitALS(factors=8, iterations=10).fit(trainset)
    user = 0
    history = {item: rating for item, rating in trainset.ur[user]}
    folded = als.score_histories([history])[0]
    trained = als.score_users(np.array([user]))[0]
    assert np.corrcoef(folded, trained)[0, 1] > 0.95


def test_warm_results_carry_standard_deviations_and_per_user_ndcg(data):
    results = evaluation.evaluate({"popularity": Popularity(), "ease": EASE(reg=10.0)}, evaluation.kfold(data, 2, seed=0))
    by_name = {r.name: r for r in results}
    assert by_name["ease"].std["ndcg"] >= 0.0 and by_name["ease"].std["rmse"] is None
    assert len(by_name["ease"].per_user_ndcg) == len(by_name["popularity"].per_user_ndcg) > 0
    assert "per_user_ndcg" not in by_name["ease"].to_dict() and "std" in by_name["ease"].to_dict()


def test_the_paired_verdict():
    rng = np.random.default_rng(0)
    reference = rng.random(300)
    assert paired_verdict(reference.copy(), reference).not_worse
    assert paired_verdict(reference.copy(), reference).p_worse == 1.0
    worse = paired_verdict(reference * 0.9, reference)
    assert not worse.not_worse and worse.p_worse < 0.05 and worse.ratio == pytest.approx(0.9)
    better = paired_verdict(reference * 1.1, reference)
    assert better.not_worse and better.ratio == pytest.approx(1.1)
    # a tiny, consistent loss: within the ratio floor, but the paired test sees it
    slightly = paired_verdict(reference - 0.001, reference)
    assert slightly.ratio > 0.99 and not slightly.not_worse
    with pytest.raises(ValueError):
        paired_verdict(reference[:10], reference)
