"""Entity resolution: which existing title a record describes.

External ids decide first (MovieLens, TMDB, IMDb). Otherwise the normalised title + year + kind
decides ("Matrix, The" 1999 and "The Matrix" 1999 are one movie), except that a candidate is never
the same work when an external id of the same kind differs, or when both name directors and no
director is shared. Several candidates = ambiguous: the record then gets a title of its own and the
ambiguity is reported. MovieLens titles are also indexed under their alternative title in
parentheses ("City of Lost Children, The (Cité des enfants perdus, La)").
"""
from dataclasses import dataclass

from catalog.models import Credit, Title

from .normalize import fold, title_key, title_keys

MATCHED, NEW, AMBIGUOUS = "matched", "new", "ambiguous"
EXTERNAL_IDS = ("movielens_id", "tmdb_id", "imdb_id")
# Which source's values a title shows when several describe it (the higher wins, whatever the
# import order); "" (made by a curator, or imported before sources were recorded) is never overwritten.
SOURCE_PRECEDENCE = {"tmdb": 3, "streaming": 2, "movielens": 1}
CURATED = 9


def precedence(source: str) -> tuple[int, str]:
    """The order of sources for a title's name, year and fields; ties broken by the source's name,
    so two platforms' catalogues also give one answer in either order."""
    if not source:
        return (CURATED, "")
    return (SOURCE_PRECEDENCE.get(source.split(":", 1)[0], 0), source)


def incompatibility(kind_a: str, year_a: int | None, kind_b: str, year_b: int | None) -> str | None:
    """Why two titles cannot be one work, whatever an id says: another kind, or years more than one apart."""
    if kind_a != kind_b:
        return f"kinds differ ({kind_a} / {kind_b})"
    if year_a is not None and year_b is not None and abs(year_a - year_b) > 1:
        return f"years differ by {abs(year_a - year_b)} ({year_a} / {year_b})"
    return None


@dataclass
class Resolution:
    title_id: int | None
    outcome: str  # matched | new | ambiguous
    candidates: tuple[int, ...] = ()


class TitleIndex:
    """An in-memory index of the catalog, loaded once per import and kept current as titles are created."""

    def __init__(self):
        self.by_key: dict[tuple[str, int | None, str], list[int]] = {}
        self.by_external: dict[str, dict] = {name: {} for name in EXTERNAL_IDS}
        self.external_of: dict[int, dict[str, object]] = {}
        self.directors_of: dict[int, set[str]] = {}
        self.keys_of: dict[int, list] = {}
        self.facts_of: dict[int, tuple[str, int | None]] = {}
        # Plain queries, not server-side cursors: a cursor is planned for its first rows and, on
        # tables fresh from a bulk load (no statistics yet), that plan can be a disaster.
        for title_id, name, year, kind, *ids in Title.objects.values_list("id", "name", "year", "kind", *EXTERNAL_IDS):
            external = dict(zip(EXTERNAL_IDS, ids))
            self.add(title_id, name, year, kind, with_aka=external["movielens_id"] is not None, **external)
        directors = Credit.objects.filter(role=Credit.Role.DIRECTOR).values_list("title_id", "person__name")
        for title_id, name in directors:
            self.directors_of.setdefault(title_id, set()).add(fold(name))

    def add(self, title_id: int, name: str, year: int | None, kind: str, with_aka: bool = False, directors=(), **external) -> None:
        for key in title_keys(name) if with_aka else [title_key(name)]:
            bucket = self.by_key.setdefault((key, year, kind), [])
            if title_id not in bucket:
                bucket.append(title_id)
                self.keys_of.setdefault(title_id, []).append((key, year, kind))
        self.facts_of[title_id] = (kind, year)
        if directors:
            self.directors_of.setdefault(title_id, set()).update(fold(d) for d in directors)
        self.set_external(title_id, **external)

    def rekey(self, old_id: int, new_id: int) -> None:
        """Replace a provisional id (a title of the current batch, not yet inserted) with its real id."""
        for key in self.keys_of.pop(old_id, ()):
            bucket = self.by_key[key]
            bucket[bucket.index(old_id)] = new_id
            self.keys_of.setdefault(new_id, []).append(key)
        if old_id in self.facts_of:
            self.facts_of[new_id] = self.facts_of.pop(old_id)
        for name, value in self.external_of.pop(old_id, {}).items():
            self.by_external[name][value] = new_id
            self.external_of.setdefault(new_id, {})[name] = value
        if old_id in self.directors_of:
            self.directors_of[new_id] = self.directors_of.pop(old_id)

    def merge(self, loser: int, survivor: int, name: str, year: int | None, kind: str) -> None:
        """``loser`` was folded into ``survivor`` (now showing ``name``, ``year``, ``kind``): every
        key and id of the loser now finds the survivor."""
        for key in self.keys_of.pop(loser, ()):
            bucket = self.by_key[key]
            bucket.remove(loser)
            if survivor not in bucket:
                bucket.append(survivor)
                self.keys_of.setdefault(survivor, []).append(key)
        self.facts_of.pop(loser, None)
        external = self.external_of.pop(loser, {})
        for id_name, value in external.items():
            if self.by_external[id_name].get(value) == loser:
                del self.by_external[id_name][value]
        self.add(survivor, name, year, kind, directors=self.directors_of.pop(loser, ()), **external)
        self.facts_of[survivor] = (kind, year)

    def set_external(self, title_id: int, **external) -> None:
        known = self.external_of.setdefault(title_id, {})
        for name, value in external.items():
            if value is not None and value != "":
                known[name] = value
                self.by_external[name][value] = title_id

    def title_for(self, name: str, value) -> int | None:
        return self.by_external[name].get(value) if value not in (None, "") else None

    def resolve(self, *, name: str, year: int | None, kind: str, with_aka: bool = False, directors=(), **external) -> Resolution:
        for id_name in EXTERNAL_IDS:
            title_id = self.title_for(id_name, external.get(id_name))
            if title_id is not None and not self._conflicts(title_id, external) and self._compatible(title_id, kind, year):
                return Resolution(title_id, MATCHED, (title_id,))
        wanted_directors = {fold(d) for d in directors}
        candidates: list[int] = []
        for key in title_keys(name) if with_aka else [title_key(name)]:
            for title_id in self.by_key.get((key, year, kind), ()):
                if title_id in candidates or self._conflicts(title_id, external):
                    continue
                known_directors = self.directors_of.get(title_id)
                if wanted_directors and known_directors and not wanted_directors & known_directors:
                    continue
                candidates.append(title_id)
        if len(candidates) == 1:
            return Resolution(candidates[0], MATCHED, tuple(candidates))
        if not candidates:
            return Resolution(None, NEW)
        return Resolution(None, AMBIGUOUS, tuple(candidates))

    def _compatible(self, title_id: int, kind: str, year: int | None) -> bool:
        facts = self.facts_of.get(title_id)
        return facts is None or incompatibility(facts[0], facts[1], kind, year) is None

    def _conflicts(self, title_id: int, external: dict) -> bool:
        known = self.external_of.get(title_id, {})
        return any(
            external.get(name) not in (None, "") and name in known and known[name] != external[name] for name in EXTERNAL_IDS
        )
