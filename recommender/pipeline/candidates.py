"""Stage 2: candidate selection. The titles a list may hold: the catalog within the request's
filters, less what the user rated or hid.

A person's streaming services are one of those filters (``TitleFilters.platforms``, set by the pages
and by ``services=mine``): they narrow the candidates here, before scoring, so the scorer's best
``pool × n`` are all titles the person can watch. Filtering the scored list afterwards instead would
need the scorer to over-fetch by an unknown factor (a small platform holds a few percent of the
catalog) and could still come back empty."""
from dataclasses import dataclass

import numpy as np

from catalog.selectors import TitleFilters, title_ids_matching

from .types import History


@dataclass(frozen=True)
class Candidates:
    """Title ids a list may recommend, sorted."""

    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class CandidateConfig:
    """``catalog_ids``: a fixed catalog (offline evaluation: the titles of the training fold);
    None: the site's active titles, read through the cache."""

    catalog_ids: tuple[int, ...] | None = None


class CandidateSelector:
    def __init__(self, config: CandidateConfig = CandidateConfig()):
        self.config = config
        self._fixed = None if config.catalog_ids is None else np.array(sorted(config.catalog_ids), dtype=np.int64)

    def __call__(self, *, history: History, filters: TitleFilters) -> Candidates:
        if self._fixed is not None:
            catalog = self._fixed
        else:
            catalog = title_ids_matching(filters)
        seen = history.seen_ids()
        if seen:
            catalog = catalog[~np.isin(catalog, np.fromiter(seen, dtype=np.int64, count=len(seen)))]
        return Candidates(catalog)
