"""Streaming-platform catalogues: quirks, accounting, idempotence, updates, refusals, batches."""
from datetime import date

import pytest

from catalog import services
from catalog.models import Availability, Credit, ImportRun, Person, RejectedRow, SourceRecord, Title
from tests.fixtures.pipeline import DISNEY, FIXTURES, NETFLIX, copy_with, imported

pytestmark = pytest.mark.django_db


def titles(**filters):
    return Title.objects.filter(**filters)


def test_every_row_is_accounted_for():
    result = imported("streaming", NETFLIX)
    t = result.totals
    assert t.rows == 12  # 13 physical data lines: one record holds a newline inside a quoted field
    assert t.created + t.updated + t.unchanged + t.rejected == t.rows
    assert (t.created, t.updated, t.rejected) == (8, 1, 3)
    assert Availability.objects.count() == t.rows - t.rejected


def test_kind_runtime_seasons_and_rating():
    imported("streaming", NETFLIX)
    movie = titles(name="Dick Johnson Is Dead").get()
    assert (movie.kind, movie.year, movie.runtime_minutes, movie.seasons, movie.maturity_rating) == ("movie", 2020, 90, None, "PG-13")
    series = titles(name="Blood & Water").get()
    assert (series.kind, series.seasons, series.runtime_minutes) == ("series", 2, None)
    assert sorted(series.genres.values_list("name", flat=True)) == ["International TV Shows", "TV Dramas", "TV Mysteries"]


def test_leading_space_date_and_empty_date():
    imported("streaming", NETFLIX)
    assert Availability.objects.get(platform_item_id="s2").date_added == date(2017, 8, 4)
    assert Availability.objects.get(platform_item_id="s4").date_added is None


def test_runtime_found_in_the_rating_column_when_duration_is_empty():
    imported("streaming", NETFLIX)
    title = titles(name="Louis C.K. 2017").get()
    assert title.runtime_minutes == 74
    assert title.maturity_rating == ""


def test_newline_inside_a_quoted_field_is_kept():
    imported("streaming", NETFLIX)
    assert "party, a Cape Town teen sets out to prove\nwhether" in titles(name="Blood & Water").get().description


def test_non_ascii_titles_and_people():
    imported("streaming", NETFLIX)
    title = titles(name="進撃の巨人").get()
    assert set(title.people.values_list("name", flat=True)) == {"梶裕貴", "石川由依", "Zoë Kravitz"}
    assert list(title.countries.values_list("name", flat=True)) == ["Japan"]


def test_titles_that_look_like_numbers_are_titles():
    imported("streaming", NETFLIX)
    assert titles(name="2,215", year=2018).exists()


def test_directors_and_cast_become_people_and_credits():
    imported("streaming", NETFLIX)
    matrix = titles(name="The Matrix").get()
    directors = Credit.objects.filter(title=matrix, role="director").order_by("order")
    assert [c.person.name for c in directors] == ["Lana Wachowski", "Lilly Wachowski"]
    assert Credit.objects.filter(title=matrix, role="actor").count() == 3
    # "United States," has a trailing comma: one country, no blank one
    assert list(matrix.countries.values_list("name", flat=True)) == ["United States"]


def test_duplicate_title_in_one_file_is_one_title_with_two_availabilities():
    result = imported("streaming", NETFLIX)
    consequences = titles(name__startswith="Consequences").get()
    assert sorted(consequences.availabilities.values_list("platform_item_id", flat=True)) == ["s6", "s7"]
    assert result.totals.matched >= 1


def test_bad_rows_are_rejected_with_line_and_reason():
    result = imported("streaming", NETFLIX)
    run = result.runs[0]
    rejected = {r.line_number: r.reason for r in RejectedRow.objects.filter(run=run)}
    assert rejected == {
        12: "type must be Movie or TV Show, got 'Film'",
        13: "release_year is not a year: 'unknown'",
        14: "date_added is not a date like 'September 25, 2021': '25-Sep-21'",
    }
    assert RejectedRow.objects.get(run=run, line_number=12).raw.startswith("s10,Film,Not A Type")


def test_run_is_recorded():
    result = imported("streaming", NETFLIX)
    run = ImportRun.objects.get(pk=result.runs[0].pk)
    assert run.status == "succeeded" and run.format == "streaming" and run.source == "netflix" and run.role == "titles"
    assert len(run.checksum) == 64 and run.finished_at and run.trigger == "test"
    assert (run.rows, run.created, run.updated, run.unchanged, run.rejected) == (12, 8, 1, 0, 3)
    assert run.details["encoding"] == "utf-8"


def test_second_import_reports_everything_unchanged():
    imported("streaming", NETFLIX, DISNEY)
    before = (Title.objects.count(), Availability.objects.count(), Credit.objects.count(), Person.objects.count())
    again = imported("streaming", NETFLIX, DISNEY).totals
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 12, 3)
    assert (Title.objects.count(), Availability.objects.count(), Credit.objects.count(), Person.objects.count()) == before


def test_changed_row_updates_its_title(tmp_path):
    imported("streaming", NETFLIX)
    changed = copy_with(tmp_path, NETFLIX, replace=("PG-13,90 min,Documentaries", "PG,91 min,Documentaries"))
    result = imported("streaming", changed, platform="netflix")
    assert (result.totals.updated, result.totals.created, result.totals.unchanged) == (1, 0, 8)
    title = titles(name="Dick Johnson Is Dead").get()
    assert (title.runtime_minutes, title.maturity_rating) == (91, "PG")
    assert Title.objects.filter(name="Dick Johnson Is Dead").count() == 1


def test_title_on_two_platforms_is_one_title_with_two_availabilities():
    result = imported("streaming", NETFLIX, DISNEY)
    zapped = titles(name="Zapped").get()
    assert sorted(zapped.availabilities.values_list("platform__slug", "platform_item_id")) == [("disney-plus", "s1"), ("netflix", "s9")]
    assert zapped.runtime_minutes == 102  # first seen wins; the match only fills blanks
    assert result.runs[1].matched == 1 and result.runs[1].new == 2


def test_platform_from_option_or_file_name(tmp_path):
    renamed = copy_with(tmp_path, DISNEY, name="catalogue.csv")
    imported("streaming", renamed, platform="Amazon Prime")
    assert set(Availability.objects.values_list("platform__slug", flat=True)) == {"amazon-prime"}
    imported("streaming", DISNEY)
    assert Availability.objects.filter(platform__slug="disney-plus", platform__name="Disney+").count() == 3


@pytest.mark.parametrize(
    "name, message",
    [
        ("wrong_header.csv", "wrong header"),
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "no data rows"),
        ("latin1_titles.csv", "wrong encoding: byte 0xe9 at offset"),
        ("utf16_titles.csv", "wrong encoding"),
    ],
)
def test_refused_files_write_nothing(name, message):
    result = imported("streaming", FIXTURES / "streaming" / name, NETFLIX, platform="netflix")
    assert not result.ok
    assert message in result.refused[0]
    assert Title.objects.count() == 0 and Availability.objects.count() == 0 and SourceRecord.objects.count() == 0
    assert set(ImportRun.objects.values_list("status", flat=True)) == {"refused"}


def test_missing_columns_are_named(tmp_path):
    bad = copy_with(tmp_path, NETFLIX, replace=("date_added,release_year", "added,release_year"))
    result = imported("streaming", bad)
    assert "missing date_added" in result.refused[0] and "unexpected 'added'" in result.refused[0]


def test_crash_mid_import_keeps_whole_batches_only(monkeypatch):
    calls = {"n": 0}
    real = services.upsert_source_records

    def crash_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "upsert_source_records", crash_on_third_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        imported("streaming", NETFLIX, batch_size=2)
    run = ImportRun.objects.get()
    assert run.status == "failed" and "disk full" in run.message
    # Two batches of two records committed; the third batch's titles were rolled back with it.
    assert run.rows == 4
    assert Title.objects.count() == 4 and Availability.objects.count() == 4 and SourceRecord.objects.count() == 4

    monkeypatch.setattr(services, "upsert_source_records", real)
    resumed = imported("streaming", NETFLIX, batch_size=2).totals
    assert resumed.unchanged == 4 and resumed.created + resumed.updated + resumed.unchanged + resumed.rejected == 12
    assert Availability.objects.count() == 9
