"""Evaluation metrics on hand-computed examples, and the shared-folds guarantee."""
import json

import numpy as np
import pandas as pd
import pytest
from surprise import AlgoBase, BaselineOnly, Dataset, Reader

from recommender import evaluation
from recommender.baselines import GlobalMean, Popularity


def tiny_dataset(rows: list[tuple[int, int, float]]) -> Dataset:
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"])
    return Dataset.load_from_df(frame, Reader(rating_scale=(1, 5)))


def test_rating_errors_by_hand():
    rmse, mae = evaluation.rating_errors(np.array([4.0, 2.0, 5.0, 3.0]), np.array([3.0, 2.0, 4.0, 5.0]))
    assert rmse == pytest.approx(np.sqrt((1 + 0 + 1 + 4) / 4))
    assert mae == pytest.approx((1 + 0 + 1 + 2) / 4)


def test_ranking_metrics_by_hand():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5],
                       [0.1, 0.2, 0.3, 0.4, 0.5]])
    rated_in_train = np.array([[True, False, False, False, False],
                               [False, False, False, False, False]])
    relevant = np.array([[False, False, True, False, True],
                         [True, False, False, False, False]])
    # User 0 also has a relevant test item the train fold does not know, so 3 relevant in all.
    metrics = evaluation.ranking_metrics(scores, rated_in_train, relevant, np.array([3, 1]), top_n=2)
    # User 0's top 2 (item 0 is excluded): items 1, 2; hit at rank 2. User 1's top 2: items 4, 3; no hit.
    assert metrics.precision == pytest.approx([1 / 2, 0])
    assert metrics.recall == pytest.approx([1 / 3, 0])
    assert metrics.ndcg == pytest.approx([(1 / np.log2(3)) / (1 + 1 / np.log2(3)), 0])
    assert metrics.lists.tolist() == [[1, 2], [4, 3]]


def test_ranking_metrics_perfect_ranking_scores_one():
    scores = np.array([[3.0, 2.0, 1.0, 0.0]])
    relevant = np.array([[True, True, False, False]])
    metrics = evaluation.ranking_metrics(scores, np.zeros_like(relevant), relevant, np.array([2]), top_n=2)
    assert (metrics.precision[0], metrics.recall[0], metrics.ndcg[0]) == pytest.approx((1, 1, 1))


class FixedScores(AlgoBase):
    """Scores every item by a fixed table and records the trainsets it was fitted on."""

    def __init__(self, item_scores: dict[int, float]):
        super().__init__()
        self.item_scores = item_scores
        self.fitted_on: list = []

    def fit(self, trainset):
        super().fit(trainset)
        self.fitted_on.append(trainset)
        return self

    def estimate(self, u, i):
        return self.item_scores[self.trainset.to_raw_iid(i)]

    def score_users(self, inner_uids):
        row = [self.item_scores[self.trainset.to_raw_iid(i)] for i in range(self.trainset.n_items)]
        return np.tile(row, (len(inner_uids), 1))


def test_evaluate_end_to_end_by_hand():
    train = [(1, 10, 5), (1, 11, 1), (2, 10, 4), (2, 12, 2), (2, 13, 3)]
    test = [(1, 12, 5), (1, 13, 2), (2, 11, 4)]
    trainset = tiny_dataset(train).build_full_trainset()
    folds = [evaluation.Fold(trainset, test)]
    model = FixedScores({10: 4.0, 11: 3.0, 12: 2.0, 13: 1.0})
    [result] = evaluation.evaluate({"fixed": model}, folds, top_n=1)
    assert result.rmse == pytest.approx(np.sqrt((9 + 1 + 1) / 3))
    assert result.mae == pytest.approx((3 + 1 + 1) / 3)
    # User 1 may get 12 or 13 and gets 12 (relevant); user 2 may get only 11 (relevant).
    assert (result.precision, result.recall, result.ndcg) == pytest.approx((1, 1, 1))
    assert result.coverage == pytest.approx(2 / 4)


def test_every_model_sees_the_same_folds():
    rng = np.random.default_rng(0)
    data = tiny_dataset([(u, i, float(rng.integers(1, 6))) for u in range(20) for i in range(15) if rng.random() < 0.5])
    folds = evaluation.kfold(data, n_splits=3, seed=7)
    first, second = FixedScores(dict.fromkeys(range(15), 3.0)), FixedScores(dict.fromkeys(range(15), 3.0))
    evaluation.evaluate({"first": first, "second": second}, folds)
    assert first.fitted_on == second.fitted_on == [fold.trainset for fold in folds]
    # The same seed splits the same way, so separate runs are comparable too.
    again = evaluation.kfold(data, n_splits=3, seed=7)
    assert [sorted(f.testset) for f in folds] == [sorted(f.testset) for f in again]


def test_baselines_report_only_what_they_can_measure():
    rng = np.random.default_rng(1)
    data = tiny_dataset([(u, i, float(rng.integers(1, 6))) for u in range(30) for i in range(20) if rng.random() < 0.5])
    models = {"global_mean": GlobalMean(), "baseline": BaselineOnly(verbose=False), "popularity": Popularity()}
    results = {r.name: r for r in evaluation.evaluate(models, evaluation.holdout(data, seed=0))}
    assert results["popularity"].rmse is None and results["popularity"].ndcg is not None
    assert results["global_mean"].ndcg is None and results["global_mean"].rmse is not None
    assert results["baseline"].rmse is not None and results["baseline"].ndcg is not None
    assert json.loads(json.dumps([r.to_dict() for r in results.values()]))[0]["name"] == "global_mean"
