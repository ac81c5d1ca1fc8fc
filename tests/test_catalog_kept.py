"""Catalog data each process keeps (catalog/summaries.py, catalog.selectors.listing and
title_ids_matching): every change path drops it in this process at once, a read that overlaps a
change is not kept, and pages of a kept listing order leave out titles hidden since. Tests that
count queries stop the clock, so no recheck of the revisions falls inside the count."""
import pytest

from catalog import summaries
from catalog.models import Genre, Title
from catalog.selectors import TitleBrowse, TitleFilters, listing, title_ids_matching
from catalog.services import set_titles_active
from ratings.models import Rating

from .conftest import make_user

pytestmark = pytest.mark.django_db


def names(ids):
    return {pk: title.name for pk, title in summaries.title_summaries(ids, active_only=False).items()}


def test_genre_changes_from_either_side_and_genre_renames_show_at_once(taste_catalog):
    title = taste_catalog["action"][0]
    assert summaries.title_summaries([title.pk])[title.pk].genre_names == ["Action"]
    Genre.objects.create(name="Heist").titles.add(title)  # through the genre's side
    assert summaries.title_summaries([title.pk])[title.pk].genre_names == ["Action", "Heist"]
    action = Genre.objects.get(name="Action")
    action.name = "Action & Adventure"
    action.save()
    assert summaries.title_summaries([title.pk])[title.pk].genre_names == ["Action & Adventure", "Heist"]


def test_deleted_titles_leave_at_once_and_unknown_ids_are_kept_as_missing(taste_catalog, django_assert_num_queries, fake_clock):
    title = taste_catalog["action"][0]
    assert title.pk in names([title.pk, 10**9])
    Title.objects.filter(pk=title.pk).delete()
    assert names([title.pk, 10**9]) == {}
    with django_assert_num_queries(0):
        assert names([title.pk, 10**9]) == {}


def test_a_summary_read_while_the_catalog_changes_is_not_kept(taste_catalog, monkeypatch, django_assert_num_queries, fake_clock):
    title = taste_catalog["action"][0]
    read = summaries.read_title_summaries

    def read_while_renamed(ids):
        found = read(ids)
        summaries.catalog_changed()  # a change commits after this read
        return found

    monkeypatch.setattr(summaries, "read_title_summaries", read_while_renamed)
    summaries.title_summaries([title.pk])
    monkeypatch.setattr(summaries, "read_title_summaries", read)
    with django_assert_num_queries(2):  # which titles are inactive; the summary, read again
        summaries.title_summaries([title.pk])


def test_kept_summaries_are_not_changed_by_later_reads(taste_catalog):
    title = taste_catalog["action"][0]
    kept = summaries.title_summaries([title.pk])[title.pk]
    set_titles_active([title.pk], False)
    assert summaries.title_summaries([title.pk]) == {}
    assert summaries.title_summaries([title.pk], active_only=False)[title.pk].pk == title.pk
    assert title.pk in summaries.inactive_title_ids() and kept.is_active


def test_a_kept_popular_order_pages_without_hidden_titles_and_new_titles_show_at_once(taste_catalog):
    popular = TitleBrowse(ordering="popular")
    ranked = listing(popular)
    first = ranked[0:5]
    assert len(ranked) == 30 and [t.pk for t in first] == ranked.ids[:5]
    assert all(t.rating_count >= first[-1].rating_count for t in first)
    Title.objects.filter(pk=first[0].pk).update(is_active=False)  # by another process: nothing moved here
    page = listing(popular)[0:5]
    assert first[0].pk not in {t.pk for t in page} and len(page) == 4  # the kept order, the hidden title left out
    set_titles_active([first[1].pk], False)  # in this process: a new order at once
    assert first[1].pk not in listing(popular).ids and len(listing(popular)[0:5]) == 5
    fresh = Title.objects.create(name="Fresh", year=2024)
    fan = make_user("fan")
    Rating.objects.create(user=fan, title=fresh, score=5.0)
    assert fresh.pk in listing(popular).ids  # a title saved in this process: a new order at once
    with pytest.raises(TypeError):
        listing(popular)[0]


def test_titles_matching_a_filter_are_kept_and_follow_changes_here(taste_catalog, django_assert_num_queries, fake_clock):
    action = TitleFilters(genre="Action")
    ids = title_ids_matching(action)
    assert set(ids) == {t.pk for t in taste_catalog["action"]}
    with django_assert_num_queries(0):
        assert title_ids_matching(action) == ids
    set_titles_active([ids[0]], False)
    assert ids[0] not in title_ids_matching(action)


def test_hiding_titles_moves_the_catalog_revision_for_the_other_processes(taste_catalog, django_capture_on_commit_callbacks):
    from streamrec.models import Revision

    with django_capture_on_commit_callbacks(execute=True):
        set_titles_active([taste_catalog["action"][0].pk], False)
    assert Revision.objects.get(name=summaries.CATALOG_REVISION).number == 1
