"""Writes to the catalog."""
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from .models import Genre, Title


@dataclass(frozen=True)
class MovieLensMovie:
    movielens_id: int
    name: str
    year: int | None
    genres: tuple[str, ...]


# MovieLens marks a movie without genres with this placeholder; it is not a genre.
NO_GENRES = "(no genres listed)"


def ensure_genres(names: Iterable[str]) -> dict[str, int]:
    """Return genre ids by name, creating the missing genres."""
    wanted = {name.strip() for name in names if name and name.strip() and name.strip() != NO_GENRES}
    existing = dict(Genre.objects.filter(name__in=wanted).values_list("name", "id"))
    missing = [Genre(name=name) for name in sorted(wanted - existing.keys())]
    Genre.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        existing = dict(Genre.objects.filter(name__in=wanted).values_list("name", "id"))
    return existing


@transaction.atomic
def upsert_movielens_movies(movies: Iterable[MovieLensMovie]) -> tuple[dict[int, int], int]:
    """Create the MovieLens movies not yet in the catalog (matched on MovieLens id).

    Returns the title id of every given MovieLens id, and how many titles were created.
    Existing titles are left as they are: curators may have edited them.
    """
    movies = list({movie.movielens_id: movie for movie in movies}.values())
    ids = [movie.movielens_id for movie in movies]
    title_ids = dict(Title.objects.filter(movielens_id__in=ids).values_list("movielens_id", "id"))
    new_movies = [movie for movie in movies if movie.movielens_id not in title_ids]
    if not new_movies:
        return title_ids, 0

    Title.objects.bulk_create(
        [
            Title(kind=Title.Kind.MOVIE, name=movie.name[:300], year=movie.year, movielens_id=movie.movielens_id)
            for movie in new_movies
        ],
        batch_size=2000,
    )
    title_ids = dict(Title.objects.filter(movielens_id__in=ids).values_list("movielens_id", "id"))
    genre_ids = ensure_genres(name for movie in new_movies for name in movie.genres)
    Through = Title.genres.through
    Through.objects.bulk_create(
        [
            Through(title_id=title_ids[movie.movielens_id], genre_id=genre_ids[name])
            for movie in new_movies
            for name in movie.genres
            if name in genre_ids
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return title_ids, len(new_movies)
