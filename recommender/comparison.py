"""Whether one model is better than another: the ratio of mean NDCG and a paired Wilcoxon
signed-rank test over the same users (``scipy.stats.wilcoxon``). A model is "not worse" than a
reference when its mean is at least ``RATIO_FLOOR`` x the reference's and the one-sided test does
not find it lower at ``ALPHA``."""
from dataclasses import dataclass

import numpy as np
from scipy.stats import wilcoxon

RATIO_FLOOR = 0.99
ALPHA = 0.05


@dataclass(frozen=True)
class Verdict:
    ratio: float
    p_worse: float  # one-sided p-value of "ours is lower"
    not_worse: bool


def paired_verdict(ours: np.ndarray, reference: np.ndarray) -> Verdict:
    """``ours`` and ``reference``: per-user scores of the same users in the same order."""
    if ours.shape != reference.shape:
        raise ValueError(f"paired scores need the same users: {ours.shape} against {reference.shape}")
    ratio = float(ours.mean() / reference.mean()) if reference.mean() > 0 else float("inf")
    if np.array_equal(ours, reference):
        p_worse = 1.0
    else:
        p_worse = float(wilcoxon(ours, reference, alternative="less").pvalue)
    return Verdict(ratio, p_worse, ratio >= RATIO_FLOOR and p_worse >= ALPHA)
