"""Reference models that any real recommender must beat: the global mean and popularity."""
import numpy as np
from surprise import AlgoBase, PredictionImpossible, Trainset


class GlobalMean(AlgoBase):
    """Predicts the mean training rating for every pair; it cannot rank, every item scores the same."""

    def estimate(self, u, i):
        return self.trainset.global_mean


class Popularity(AlgoBase):
    """Ranks items by how many training ratings they have; it does not predict ratings."""

    predicts_ratings = False

    def fit(self, trainset: Trainset) -> "Popularity":
        super().fit(trainset)
        self.rating_counts = np.array([len(trainset.ir[i]) for i in range(trainset.n_items)], dtype=np.float64)
        return self

    def estimate(self, u, i):
        raise PredictionImpossible("popularity ranks items and does not predict ratings")

    def score_users(self, inner_uids: np.ndarray) -> np.ndarray:
        """The same popularity scores for every user in ``inner_uids`` (rows) over all items."""
        return np.broadcast_to(self.rating_counts, (len(inner_uids), len(self.rating_counts))).copy()
