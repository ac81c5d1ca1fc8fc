"""Titles nobody has rated are placed by the content model and can be recommended at once."""
import numpy as np

from catalog.models import Genre, Title
from ratings.models import Rating
from recommender import serving
from recommender.content import TitleContent, place_cold_titles, tfidf_matrix
from recommender.models import ModelVersion
from recommender.selectors import serving_version
from recommender.tasks import place_new_titles
from recommender.training import train_model_version

from .conftest import make_user, recommendations_for

SEEDED = {"random_state": 0}


def new_title(genre_name: str, name: str) -> Title:
    title = Title.objects.create(name=name, year=2024, kind=Title.Kind.SERIES, description="Explosions and car chases")
    title.genres.add(Genre.objects.get(name=genre_name))
    return title


def fan_of(catalog, loves: str, username: str):
    fan = make_user(username)
    hates = "romance" if loves == "action" else "action"
    for title in catalog[loves][:3]:
        Rating.objects.create(user=fan, title=title, score=5.0)
    for title in catalog[hates][:3]:
        Rating.objects.create(user=fan, title=title, score=1.0)
    return fan


def test_tfidf_rows_are_unit_length_and_similar_titles_are_close():
    contents = [
        TitleContent(1, "movie", 1994, ["Action"], ["Keanu Reeves"], ["bus"], "A bomb on a bus"),
        TitleContent(2, "movie", 1999, ["Action", "Sci-Fi"], ["Keanu Reeves"], [], "A hacker learns the truth"),
        TitleContent(3, "movie", 1995, ["Romance"], ["Julie Delpy"], [], "Two strangers talk in Vienna"),
    ]
    matrix = tfidf_matrix(contents)
    assert np.allclose(np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel(), 1.0)
    similarity = (matrix @ matrix.T).toarray()
    assert similarity[0, 1] > similarity[0, 2]


def test_placement_takes_the_factors_of_content_neighbours():
    contents = [
        TitleContent(1, "movie", 1990, ["Action"], [], [], ""),
        TitleContent(2, "movie", 1990, ["Romance"], [], [], ""),
        TitleContent(3, "movie", 1990, ["Action"], [], [], ""),
    ]
    qi = np.array([[1.0, 0.0], [0.0, 1.0]])
    placement = place_cold_titles(tfidf_matrix(contents), np.array([0, 1]), np.array([2]), qi, np.array([0.4, -0.4]))
    assert placement.qi[0, 0] > placement.qi[0, 1]
    assert placement.bi[0] > 0


def test_an_unrated_title_reaches_the_fans_of_its_genre(taste_catalog):
    fresh = new_title("Action", "Brand New Action Series")
    version = train_model_version(params=SEEDED).version
    assert version.metrics["titles_placed_by_content"] == 1
    action_fan = fan_of(taste_catalog, "action", "action-fan")
    romance_fan = fan_of(taste_catalog, "romance", "romance-fan")
    assert fresh.pk in {r.title.pk for r in recommendations_for(action_fan, n=10)}
    assert fresh.pk not in {r.title.pk for r in recommendations_for(romance_fan, n=10)}


def test_new_titles_are_placed_without_retraining(taste_catalog):
    trained = train_model_version(params=SEEDED).version
    fresh = new_title("Action", "Imported Tonight")
    result = place_new_titles.delay().get()
    derived = serving_version()
    assert result["version"] == derived.pk != trained.pk
    assert derived.params["derived_from"] == trained.pk
    assert (derived.rmse, derived.n_ratings) == (trained.rmse, trained.n_ratings)
    assert fresh.pk in serving.current_model().row_of_title
    placed = serving.current_model().factors
    assert placed.neighbour_qi.shape[0] == placed.neighbour_basis.shape[0] == len(placed.title_ids)
    action_fan = fan_of(taste_catalog, "action", "action-fan")
    assert fresh.pk in {r.title.pk for r in recommendations_for(action_fan, n=10)}
    # Nothing new: no new version.
    assert place_new_titles.delay().get() == {"version": None}
    assert ModelVersion.objects.count() == 2


def test_importing_new_titles_places_them_in_the_serving_model(taste_catalog, tmp_path):
    from catalog.pipeline import run_import

    train_model_version(params=SEEDED)
    catalog_file = tmp_path / "netflix_titles.csv"
    catalog_file.write_text(
        "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description\n"
        's1,TV Show,Fresh Action Show,,,,"September 25, 2021",2021,TV-MA,2 Seasons,Action,Explosions\n',
        encoding="utf-8",
    )
    result = run_import("streaming", [catalog_file], platform="Netflix")
    assert result.new_titles == 1
    fresh = Title.objects.get(name="Fresh Action Show")
    assert fresh.pk in serving.current_model().row_of_title
    placed = serving.current_model().factors
    assert placed.neighbour_qi.shape[0] == placed.neighbour_basis.shape[0] == len(placed.title_ids)
    assert serving_version().params.get("derived_from") is not None


def test_a_corrupted_serving_artifact_is_not_extended_and_the_task_does_not_fail(taste_catalog):
    from django.conf import settings

    previous = train_model_version(params=SEEDED).version
    broken = train_model_version(params=SEEDED).version
    (settings.MODEL_DIR / broken.artifact_path).write_bytes(b"not a model")
    new_title("Action", "Imported While Broken")
    assert place_new_titles.delay().get() == {"version": None}
    assert serving_version() == broken and ModelVersion.objects.count() == 2
    broken.refresh_from_db()
    assert "Artifact check failed" in broken.error  # staff see it
    assert serving.current_model().version_id == previous.pk  # the intact version still serves
