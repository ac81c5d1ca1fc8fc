"""Beyond-accuracy measures on lists small enough to check by hand."""
import numpy as np
import pytest
from scipy.sparse import csr_matrix

from recommender import beyond_accuracy as ba

# Five items rated 8, 4, 2, 1, 1 times by 8 users; the head (top 20 %) is item 0 alone.
GENRES = [("Drama",), ("Drama", "Horror"), ("Horror",), ("Comedy",), ("Horror", "Comedy")]
FACTS = ba.ItemFacts.build(np.array([8, 4, 2, 1, 1]), n_users=8, item_genres=GENRES)


def test_long_tail_is_outside_the_most_rated_fifth():
    assert FACTS.long_tail.tolist() == [False, True, True, True, True]


def test_coverage_novelty_popularity_and_long_tail_share():
    lists = np.array([[0, 1], [2, -1]])  # the second list is short
    assert ba.coverage(lists, FACTS) == pytest.approx(3 / 5)
    # Self-information: item 0 -log2(8/8) = 0, item 1 1, item 2 2; list means 0.5 and 2.
    assert ba.novelty(lists, FACTS) == pytest.approx((0.5 + 2) / 2)
    assert ba.average_popularity(lists, FACTS) == pytest.approx((6 + 2) / 2)
    assert ba.long_tail_share(lists, FACTS) == pytest.approx((0.5 + 1) / 2)


def test_intra_list_diversity_is_one_minus_mean_pairwise_genre_jaccard():
    # Pairs of [0, 1, 2]: (0,1) 1/2, (0,2) 0, (1,2) 1/2 -> mean 1/3; [3, 4]: 1/2.
    lists = np.array([[0, 1, 2], [3, 4, -1]])
    assert ba.intra_list_diversity(lists, FACTS) == pytest.approx(((1 - 1 / 3) + (1 - 1 / 2)) / 2)
    assert ba.intra_list_diversity(lists, ba.ItemFacts.build(FACTS.counts, 8)) is None


def test_inter_user_overlap_is_mean_jaccard_over_pairs():
    assert ba.inter_user_overlap(np.array([[0, 1], [0, 1], [0, 1]]), FACTS) == pytest.approx(1.0)
    # Pairs: (a,b) {0,1} vs {0,2}: 1/3; (a,c) 0; (b,c) 0.
    assert ba.inter_user_overlap(np.array([[0, 1], [0, 2], [3, 4]]), FACTS) == pytest.approx(1 / 9)


def test_miscalibration_is_zero_when_the_list_follows_the_history_and_grows_when_not():
    history = csr_matrix(np.array([[1, 0, 1, 0, 0]]))  # Drama and Horror, half each
    follows = ba.miscalibration(np.array([[1, -1]]), history, FACTS)  # item 1: Drama and Horror
    assert follows == pytest.approx(0.0, abs=1e-12)
    comedy = ba.miscalibration(np.array([[3, -1]]), history, FACTS)
    # p = (1/2, 1/2) on Drama, Horror; q~ = 0.01 p there: KL = sum p log(p / (0.01 p)) = log 100.
    assert comedy == pytest.approx(np.log(100))


def test_long_tail_ndcg_counts_only_long_tail_relevant_items():
    lists = np.array([[0, 2], [0, 1]])
    relevant = csr_matrix(np.array([[1, 0, 1, 0, 0], [1, 0, 0, 0, 0]]))
    # User 0: item 2 (tail) hit at rank 2; user 1 has no tail relevant item and is left out.
    assert ba.long_tail_ndcg(lists, relevant, FACTS) == pytest.approx(1 / np.log2(3))


def test_list_measures_names_every_measure():
    lists = np.array([[0, 1], [2, 3]])
    history = csr_matrix(np.eye(2, 5))
    measures = ba.list_measures(lists, history, history, FACTS)
    assert set(measures) == {"tail_ndcg", "coverage", "novelty", "arp", "aplt", "diversity", "overlap", "miscalibration"}


def test_overlap_in_blocks_equals_the_pairwise_mean(monkeypatch):
    rng = np.random.default_rng(0)
    lists = np.array([rng.choice(5, 2, replace=False) for _ in range(7)])
    expected = np.mean([len(set(a) & set(b)) / len(set(a) | set(b)) for i, a in enumerate(lists) for b in lists[i + 1:]])
    monkeypatch.setattr(ba, "OVERLAP_BLOCK", 3)  # several blocks, the last one short
    assert ba.inter_user_overlap(lists, FACTS) == pytest.approx(expected)
