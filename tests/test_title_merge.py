"""Merging two titles an external id shows to be one work: nothing lost, nothing duplicated."""
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from catalog.models import (Availability, Credit, Person, Platform, Title, TitleConflict, TitleMerge)
from catalog.pipeline.merge import HANDLED, Candidate, merge_titles, resolve_candidates
from ratings.models import Dismissal, Rating, WatchlistEntry
from streamrec import cache
from tests.fixtures.pipeline import imported, FIXTURES

pytestmark = pytest.mark.django_db
User = get_user_model()
RESOLUTION = FIXTURES / "resolution"


def when(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


@pytest.fixture
def pair():
    tmdb = Title.objects.create(name="Friday the 13th: A New Beginning", year=1985, tmdb_id=9730, fields_from="tmdb",
                                description="A masked killer returns.")
    ml = Title.objects.create(name="Friday the 13th Part V: A New Beginning", year=1985, movielens_id=2009, fields_from="movielens")
    return tmdb, ml


def test_every_table_pointing_at_a_title_is_handled():
    pointing = {rel.related_model for rel in Title._meta.related_objects}
    assert pointing <= HANDLED, f"merge_titles does not move {pointing - HANDLED}"


def test_ratings_move_and_a_person_who_rated_both_keeps_the_newer(pair):
    tmdb, ml = pair
    ann, bob, cid = (User.objects.create(username=n) for n in ("ann", "bob", "cid"))
    Rating.objects.create(user=ann, title=tmdb, score=2.0, updated_at=when(1))
    Rating.objects.create(user=ann, title=ml, score=4.5, updated_at=when(2))  # newer: kept
    Rating.objects.create(user=bob, title=tmdb, score=3.0, updated_at=when(5))  # newer: kept
    Rating.objects.create(user=bob, title=ml, score=1.0, updated_at=when(3))
    Rating.objects.create(user=cid, title=ml, score=5.0, updated_at=when(4))
    merge = merge_titles(tmdb, ml, "tmdb_id 9730")
    assert sorted(Rating.objects.values_list("user__username", "title_id", "score")) == [
        ("ann", tmdb.pk, 4.5), ("bob", tmdb.pk, 3.0), ("cid", tmdb.pk, 5.0)
    ]
    assert merge.moved["ratings"] == 2 and merge.moved["ratings_dropped_older"] == 2
    assert not Title.objects.filter(pk=ml.pk).exists()


def test_watch_events_move_and_the_viewing_is_made_again_from_both_titles_events(pair):
    from ratings.models import Viewing, WatchEvent
    from ratings.watch_services import EventInput, record_events

    tmdb, ml = pair
    ann = User.objects.create(username="ann")
    record_events(user=ann, items=[EventInput(tmdb.pk, "start", 0, 5400, "a1", when(1)),
                                   EventInput(ml.pk, "finish", 5400, 5400, "a2", when(2))])
    merge = merge_titles(tmdb, ml, "tmdb_id 9730")
    assert sorted(WatchEvent.objects.values_list("client_event_id", "title_id")) == [("a1", tmdb.pk), ("a2", tmdb.pk)]
    viewing = Viewing.objects.get(user=ann)  # one viewing, of the survivor, finished (the newer event)
    assert viewing.title_id == tmdb.pk and viewing.finished_at == when(2)
    assert merge.moved["watch_events"] == 1


def test_watchlists_dismissals_availabilities_and_credits_move_without_duplicates(pair):
    tmdb, ml = pair
    ann, bob = User.objects.create(username="ann"), User.objects.create(username="bob")
    WatchlistEntry.objects.create(user=ann, title=tmdb)
    WatchlistEntry.objects.create(user=ann, title=ml)
    WatchlistEntry.objects.create(user=bob, title=ml)
    Dismissal.objects.create(user=bob, title=ml)
    netflix = Platform.objects.create(slug="netflix", name="Netflix")
    Availability.objects.create(title=ml, platform=netflix, platform_item_id="s9")
    director = Person.objects.create(name="Danny Steinmann")
    Credit.objects.create(title=tmdb, person=director, role="director")
    Credit.objects.create(title=ml, person=director, role="director")
    merge_titles(tmdb, ml, "tmdb_id 9730")
    assert sorted(WatchlistEntry.objects.values_list("user__username", "title_id")) == [("ann", tmdb.pk), ("bob", tmdb.pk)]
    assert list(Dismissal.objects.values_list("user__username", "title_id")) == [("bob", tmdb.pk)]
    assert list(Availability.objects.values_list("title_id", flat=True)) == [tmdb.pk]
    assert Credit.objects.filter(title=tmdb).count() == 1


def test_values_of_the_higher_source_and_both_ids_survive(pair):
    tmdb, ml = pair
    ml.runtime_minutes = 92
    ml.save()
    merge_titles(ml, tmdb, "tmdb_id 9730")  # the MovieLens title is the older one here
    survivor = Title.objects.get()
    assert (survivor.pk, survivor.name, survivor.tmdb_id, survivor.movielens_id) == (ml.pk, "Friday the 13th: A New Beginning", 9730, 2009)
    assert (survivor.description, survivor.runtime_minutes, survivor.fields_from) == ("A masked killer returns.", 92, "tmdb")


def test_merge_moves_cache_revisions_of_the_catalog_and_of_people_whose_rows_moved(pair, django_capture_on_commit_callbacks):
    tmdb, ml = pair
    ann = User.objects.create(username="ann")
    Rating.objects.create(user=ann, title=ml, score=4.0)
    catalog_before = cache.revisions(cache.CATALOG)[cache.CATALOG]
    user_before = cache.revisions(cache.user_key(ann.pk))[cache.user_key(ann.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        merge_titles(tmdb, ml, "tmdb_id 9730")
    assert cache.revisions(cache.CATALOG)[cache.CATALOG] != catalog_before
    assert cache.revisions(cache.user_key(ann.pk))[cache.user_key(ann.pk)] != user_before


def test_ids_of_another_kind_or_years_apart_go_to_review_not_merged():
    movie = Title.objects.create(name="Dracula", year=2020, kind="movie", movielens_id=7)
    series = Title.objects.create(name="Dracula", year=2020, kind="series", tmdb_id=86_248)
    old = Title.objects.create(name="Dracula", year=1931, kind="movie", imdb_id="tt0021814")
    outcome = resolve_candidates([Candidate(series.pk, movie.pk, "tmdb_id 86248"), Candidate(old.pk, movie.pk, "imdb_id tt0021814")])
    assert not outcome.merged and Title.objects.count() == 3
    reasons = sorted(TitleConflict.objects.values_list("reason", flat=True))
    assert reasons == ["kinds differ (movie / series)", "years differ by 89 (2020 / 1931)"]
    resolve_candidates([Candidate(series.pk, movie.pk, "tmdb_id 86248")])  # found again: still one entry
    assert TitleConflict.objects.count() == 2


def test_link_naming_a_series_is_held_and_the_row_rejected_with_the_reason(tmp_path):
    imported("movielens", RESOLUTION / "movies.csv")
    Title.objects.create(name="Heat", year=1995, kind="series", tmdb_id=555)
    links = tmp_path / "links.csv"
    links.write_text("movieId,imdbId,tmdbId\n6,,555\n", encoding="utf-8")
    run = imported("movielens", links).runs[0]
    assert (run.rows, run.rejected, run.held, run.merged) == (1, 1, 1, 0)
    assert "kinds differ" in run.rejected_rows.get().reason
    assert TitleConflict.objects.get().status == "open"


def test_merged_title_page_redirects_to_the_survivor(client, pair):
    tmdb, ml = pair
    old_id = ml.pk
    merge_titles(tmdb, ml, "tmdb_id 9730")
    response = client.get(f"/titles/{old_id}/")
    assert response.status_code == 301 and response["Location"] == tmdb.get_absolute_url()


def test_merges_are_recorded_on_the_run_and_listed_in_admin(admin_client):
    imported("tmdb", RESOLUTION / "movies_metadata.csv")
    result = imported("movielens", RESOLUTION / "movies.csv", RESOLUTION / "links.csv")
    links = result.runs[1]
    assert TitleMerge.objects.filter(run=links).count() == links.merged == 4
    page = admin_client.get("/admin/catalog/titlemerge/")
    assert page.status_code == 200 and "Friday the 13th Part V: A New Beginning" in page.content.decode()
    review = admin_client.get("/admin/catalog/titleconflict/")
    assert review.status_code == 200 and "tmdb_id 6114" in review.content.decode()
    run_page = admin_client.get(f"/admin/catalog/importrun/{links.pk}/change/")
    assert "Friday the 13th Part V" in run_page.content.decode()


def test_curator_merges_a_held_pair_anyway_or_closes_it(admin_client):
    movie = Title.objects.create(name="Dracula", year=1931, kind="movie", movielens_id=2644)
    other = Title.objects.create(name="Dracula", year=1992, kind="movie", tmdb_id=6114)
    third = Title.objects.create(name="Dracula", year=2020, kind="series", tmdb_id=86_248)
    resolve_candidates([Candidate(other.pk, movie.pk, "tmdb_id 6114"), Candidate(third.pk, movie.pk, "tmdb_id 86248")])
    held, kept = TitleConflict.objects.get(evidence="tmdb_id 6114"), TitleConflict.objects.get(evidence="tmdb_id 86248")
    url = "/admin/catalog/titleconflict/"
    response = admin_client.post(url, {"action": "not_the_same_work", "_selected_action": [kept.pk]})
    assert response.status_code == 302
    response = admin_client.post(url, {"action": "merge_anyway", "_selected_action": [held.pk]})
    assert response.status_code == 302
    assert not Title.objects.filter(pk=other.pk).exists()
    survivor = Title.objects.get(pk=movie.pk)
    assert (survivor.movielens_id, survivor.tmdb_id) == (2644, 6114)
    assert TitleMerge.objects.get().evidence == "tmdb_id 6114 (curator admin)"
    assert dict(TitleConflict.objects.values_list("evidence", "status")) == {"tmdb_id 6114": "merged", "tmdb_id 86248": "dismissed"}
