""""More like this": titles alike in who enjoys them and in what they are.

Item factors alone put titles together that the same people rated, whatever they are: "More like
The Empire Strikes Back" listed Eddie Murphy Raw. Each candidate's score blends the cosine of the
item factors with the cosine of the content rows (``recommender.content``: shared genres, people,
keywords, kind and decade, TF-IDF weighted, so a rare shared director counts more than a shared
"Drama"). ``bench/bench_explanations.py`` measures the share of listed titles sharing a genre with
the title (bench/README.md) and chose the weight.
"""
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class LikenessConfig:
    """``content_weight``: the content cosine's part of the blend (0: item factors only)."""

    content_weight: float = 0.5


def content_rows(factors, genres: csr_matrix | None) -> csr_matrix | None:
    """Each title's L2-normalised content row: the artifact's TF-IDF rows, else (older artifacts)
    its genres; None when the artifact has neither."""
    if factors.has_content:
        return csr_matrix((factors.content_data.astype(np.float64), factors.content_indices, factors.content_indptr),
                          shape=(len(factors.title_ids), int(factors.content_indices.max(initial=-1)) + 1))
    if genres is None:
        return None
    norms = np.sqrt(np.asarray(genres.multiply(genres).sum(axis=1)).ravel())
    return csr_matrix(genres.multiply(1.0 / np.where(norms > 0, norms, 1.0)[:, None]))


def likeness(unit_qi: np.ndarray, content: csr_matrix | None, row: int, config: LikenessConfig = LikenessConfig()) -> np.ndarray:
    """Every title's likeness to the title in ``row``: (1 - w) x factor cosine + w x content cosine."""
    score = unit_qi @ unit_qi[row]
    if content is None or config.content_weight <= 0:
        return score.astype(np.float64)
    alike = np.asarray((content @ content[row].T).todense()).ravel()
    return (1.0 - config.content_weight) * score + config.content_weight * alike
