"""Stage 4: reranking. The slot where the list is reordered for more than accuracy (novelty,
diversity, calibration, a user's popularity dial); for now the scorer's order is kept."""
from dataclasses import dataclass

from .types import History, ScoredTitle


@dataclass(frozen=True)
class RerankConfig:
    """``pool``: how many scored candidates a reranker chooses from for each title it returns."""

    pool: int = 1


class NoReranking:
    def __init__(self, config: RerankConfig = RerankConfig()):
        self.config = config

    def __call__(self, *, scored: list[ScoredTitle], history: History, n: int) -> list[ScoredTitle]:
        return scored[:n]
