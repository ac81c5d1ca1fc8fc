"""MovieLens dumps: ml-1m .dat (Latin-1), ml-latest CSV with links, rater accounts, ratings."""
import pytest
from django.contrib.auth import get_user_model

from catalog.models import ImportRun, RejectedRow, Title
from ratings.models import Rating
from tests.fixtures.pipeline import ML1M, MLLATEST, NETFLIX, TMDB_METADATA, copy_with, imported

pytestmark = pytest.mark.django_db
User = get_user_model()


def load_ml1m():
    return imported("movielens", ML1M / "ratings_sample.dat", ML1M / "movies_sample.dat", ML1M / "users_sample.dat")


def test_ml1m_latin1_movies_and_order_of_files():
    result = load_ml1m()
    assert [run.role for run in result.runs] == ["movies", "users", "ratings"]
    assert result.runs[0].details["encoding"] == "latin-1"
    assert Title.objects.filter(movielens_id=73, name="Les Misérables", year=1995).exists()
    assert Title.objects.filter(movielens_id=3000, name="Café au lait").exists()
    toy = Title.objects.get(movielens_id=1)
    assert sorted(toy.genres.values_list("name", flat=True)) == ["Animation", "Children's", "Comedy"]


def test_ml1m_ratings_whole_stars_and_rejects():
    result = load_ml1m()
    run = result.runs[2]
    assert (run.rows, run.created, run.rejected) == (10, 7, 3)
    reasons = dict(RejectedRow.objects.filter(run=run).values_list("line_number", "reason"))
    assert reasons == {
        7: "rating 6 is not a half star from 0.5 to 5",
        8: "unknown MovieLens movie 9999: import movies first",
        10: "expected 4 fields, got 3",
    }
    assert set(Rating.objects.values_list("score", flat=True)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert Rating.objects.get(user__username="ml1m-1", title__movielens_id=1).created_at.timestamp() == 978300760
    assert result.runs[0].rejected == 1  # "oops::Broken Line"


def test_rating_users_are_accounts_that_cannot_log_in():
    load_ml1m()
    raters = User.objects.filter(username__startswith="ml1m-")
    assert sorted(raters.values_list("username", flat=True)) == ["ml1m-1", "ml1m-2", "ml1m-3"]
    assert not any(user.has_usable_password() for user in raters)


def test_reimport_unchanged_and_changed_rating_updates(tmp_path):
    load_ml1m()
    again = load_ml1m().totals
    assert (again.created, again.updated) == (0, 0) and again.unchanged == again.rows - again.rejected
    changed = copy_with(tmp_path, ML1M / "ratings_sample.dat", replace=("1::2::3::978302109", "1::2::4::978309999"))
    result = imported("movielens", changed)
    assert (result.totals.updated, result.totals.unchanged) == (1, 6)
    assert Rating.objects.get(user__username="ml1m-1", title__movielens_id=2).score == 4.0


def test_ml_latest_csv_with_links_and_half_stars():
    result = imported("movielens", MLLATEST / "ratings.csv", MLLATEST / "links.csv", MLLATEST / "movies.csv")
    assert [run.role for run in result.runs] == ["movies", "links", "ratings"]
    president = Title.objects.get(movielens_id=11)
    assert (president.name, president.year, president.imdb_id, president.tmdb_id) == ("The American President", 1995, "tt0112346", 9087)
    assert not Title.objects.get(movielens_id=193609).genres.exists()  # "(no genres listed)" is no genre
    ratings = result.runs[2]
    assert (ratings.created, ratings.rejected) == (5, 1)
    assert ratings.rejected_rows.get().reason == "rating 0.0 is not a half star from 0.5 to 5"
    assert Rating.objects.filter(score=0.5).count() == 1 and Rating.objects.filter(score=4.5).count() == 1
    assert User.objects.filter(username="movielens-2").exists()
    links = result.runs[1]
    assert links.rejected == 1 and "unknown MovieLens movie 424242" in links.rejected_rows.get().reason


def test_tags_file_loads_with_the_movies():
    result = imported("movielens", MLLATEST / "movies.csv", MLLATEST / "tags.csv")
    assert result.ok and [run.role for run in result.runs] == ["movies", "tags"]
    assert Title.objects.get(movielens_id=1).tag_applications.get().tag.name == "pixar"


def test_dat_file_with_another_shape_is_refused(tmp_path):
    wrong = tmp_path / "movies.dat"
    wrong.write_text("1,Toy Story (1995),Animation\n", encoding="utf-8")
    result = imported("movielens", wrong)
    assert "is not a MovieLens movies record" in result.refused[0]
    assert ImportRun.objects.get().status == "refused"


def test_entity_resolution_across_sources():
    """MovieLens "Matrix, The (1999)", TMDB "The Matrix" (id 603) and Netflix "The Matrix" are one title."""
    ml = load_ml1m()
    tmdb = imported("tmdb", TMDB_METADATA)
    netflix = imported("streaming", NETFLIX)
    matrix = Title.objects.get(movielens_id=2571)
    assert (matrix.tmdb_id, matrix.imdb_id, matrix.runtime_minutes) == (603, "tt0133093", 136)
    assert list(matrix.availabilities.values_list("platform__slug", flat=True)) == ["netflix"]
    assert Title.objects.filter(name__in=["The Matrix", "Matrix, The"]).count() == 1
    # Toy Story, Jumanji and The Matrix match MovieLens titles; the other TMDB titles are new.
    assert (tmdb.totals.matched, tmdb.totals.new, tmdb.totals.ambiguous) == (3, 3, 0)
    assert netflix.totals.matched == 2  # The Matrix, and the repeated "Consequences"
    assert ml.totals.new == 6


def test_alternative_title_in_parentheses_matches(tmp_path):
    load_ml1m()
    other = copy_with(tmp_path, NETFLIX, replace=("s8,Movie,\"2,215\",Nottapon Boonprakob,Artiwara Kongmalai,Thailand,\"March 1, 2019\",2018",
                                                  "s8,Movie,The City of Lost Children,,,France,\"March 1, 2019\",1995"))
    imported("streaming", other, platform="netflix")
    assert Title.objects.get(movielens_id=29).availabilities.get().platform_item_id == "s8"


def test_ambiguous_match_is_reported_and_gets_its_own_title(tmp_path):
    Title.objects.create(name="Zapped", year=2014, kind="movie")
    Title.objects.create(name="Zapped!", year=2014, kind="movie")
    result = imported("streaming", NETFLIX)
    assert result.totals.ambiguous == 1
    assert "'Zapped' (2014, movie) matches titles" in result.runs[0].details["ambiguous_titles"][0]
    assert Title.objects.filter(name__startswith="Zapped").count() == 3


def test_generic_sql_path_used_on_sqlite(monkeypatch):
    """The non-PostgreSQL branches (IN lists in chunks, executemany, ORM rating upsert) give the same result."""
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", "sqlite")
    result = load_ml1m()
    assert result.runs[2].created == 7 and Rating.objects.count() == 7
    again = load_ml1m().totals
    assert (again.created, again.updated) == (0, 0)
    imported("streaming", NETFLIX)
    assert Title.objects.get(name__startswith="Consequences").availabilities.count() == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_rating_writers_outside_a_transaction(monkeypatch):
    """Outside a transaction, PostgreSQL ratings are written by two threads on their own connections."""
    from django.db import connection

    from catalog.pipeline import movielens

    if connection.vendor != "postgresql":
        pytest.skip("parallel writers are used on PostgreSQL only")
    monkeypatch.setattr(movielens, "RATING_BATCH", 2)  # several batches, spread over both writers
    threads = set()
    real = movielens.upsert_ratings

    def spy(rows, **kwargs):
        import threading

        threads.add(threading.current_thread().name)
        return real(rows, **kwargs)

    monkeypatch.setattr(movielens, "upsert_ratings", spy)
    result = load_ml1m()
    ratings = result.runs[2]
    assert (ratings.rows, ratings.created, ratings.rejected) == (10, 7, 3) and Rating.objects.count() == 7
    assert threads and all(name.startswith("import-writer-") for name in threads)
    again = load_ml1m().runs[2]
    assert (again.created, again.unchanged) == (0, 7)
