"""Content model: places titles nobody has rated yet into the factor space of a trained model.

Each title becomes a TF-IDF vector over its genres, people, keywords, user tags (each person who
applied one counts, and tag-genome tags of high relevance), kind, decade and description words. A cold title takes the similarity-weighted mean of the item factors and (shrunk) biases of
its most content-similar rated titles, so a newly imported series lands next to the rated titles
it resembles and reaches the users whose tastes match them.
"""
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

WORD = re.compile(r"[a-z][a-z']{2,}")
STOP_WORDS = frozenset(
    "the and for with his her their from that this into who when after are was has have will its they them "
    "one two but not all out about more most some than then there what which while where your you she him "
    "being been also only over under film movie series story life new young world must find finds".split()
)
# Structured features say more about taste than any one description word.
FEATURE_WEIGHTS = {"genre": 3.0, "person": 2.0, "keyword": 1.5, "tag": 1.5, "kind": 1.0, "decade": 1.0, "word": 0.5}


@dataclass(frozen=True)
class TitleContent:
    title_id: int
    kind: str
    year: int | None
    genres: Sequence[str]
    people: Sequence[str]
    keywords: Sequence[str]
    description: str
    tags: Sequence[str] = ()  # one entry per application: a tag many people used counts more


def features(content: TitleContent) -> Counter:
    bag: Counter = Counter()
    bag.update(f"genre:{g.lower()}" for g in content.genres)
    bag.update(f"person:{p.lower()}" for p in content.people)
    bag.update(f"keyword:{k.lower()}" for k in content.keywords)
    bag.update(f"tag:{t.lower()}" for t in content.tags)
    if content.kind:
        bag[f"kind:{content.kind}"] += 1
    if content.year:
        bag[f"decade:{content.year // 10 * 10}"] += 1
    bag.update(f"word:{w}" for w in WORD.findall(content.description.lower()) if w not in STOP_WORDS)
    return bag


def tfidf_matrix(contents: Sequence[TitleContent]) -> sparse.csr_matrix:
    """Rows: titles in the given order, L2-normalised TF-IDF over weighted features."""
    bags = [features(c) for c in contents]
    document_frequency: Counter = Counter()
    for bag in bags:
        document_frequency.update(bag.keys())
    vocabulary = {feature: column for column, feature in enumerate(sorted(document_frequency))}
    n_documents = len(bags)
    rows, columns, values = [], [], []
    for row, bag in enumerate(bags):
        for feature, count in bag.items():
            idf = math.log((1 + n_documents) / (1 + document_frequency[feature])) + 1
            weight = FEATURE_WEIGHTS[feature.split(":", 1)[0]]
            rows.append(row)
            columns.append(vocabulary[feature])
            values.append(weight * (1 + math.log(count)) * idf)
    matrix = sparse.csr_matrix((values, (rows, columns)), shape=(n_documents, len(vocabulary)), dtype=np.float64)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    return sparse.diags(1 / np.where(norms > 0, norms, 1)) @ matrix


@dataclass(frozen=True)
class Placement:
    qi: np.ndarray  # cold titles x factors
    bi: np.ndarray  # cold titles


def place_cold_titles(
    content: sparse.csr_matrix, warm_rows: np.ndarray, cold_rows: np.ndarray, qi: np.ndarray, bi: np.ndarray,
    neighbours: int = 20, bias_shrinkage: float = 0.5,
) -> Placement:
    """Factors for the ``cold_rows`` of ``content`` from their nearest ``warm_rows`` neighbours.

    ``qi`` and ``bi`` are the warm titles' factors, in the order of ``warm_rows``. A cold title with
    no shared feature gets zero factors and zero bias: the model then predicts user bias plus mean.
    """
    n_factors = qi.shape[1]
    placed_qi = np.zeros((len(cold_rows), n_factors))
    placed_bi = np.zeros(len(cold_rows))
    if len(cold_rows) == 0 or len(warm_rows) == 0:
        return Placement(placed_qi, placed_bi)
    warm = content[warm_rows]
    # Chunks keep the dense similarity block small for large catalogs.
    for start in range(0, len(cold_rows), 512):
        block = cold_rows[start : start + 512]
        similarity = (content[block] @ warm.T).toarray()
        k = min(neighbours, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(similarity, nearest, axis=1)
        totals = weights.sum(axis=1)
        known = totals > 0
        normalised = np.where(known[:, None], weights / np.where(known, totals, 1)[:, None], 0)
        placed_qi[start : start + len(block)] = np.einsum("ck,ckf->cf", normalised, qi[nearest])
        placed_bi[start : start + len(block)] = bias_shrinkage * np.einsum("ck,ck->c", normalised, bi[nearest])
    return Placement(placed_qi, placed_bi)
