"""TMDB metadata, credits and keywords: nested Python literals, malformed shifted rows, duplicates."""
import pytest

from catalog.models import Company, Credit, Keyword, RejectedRow, Title, TitleDetails
from tests.fixtures.pipeline import TMDB_CREDITS, TMDB_KEYWORDS, TMDB_METADATA, copy_with, imported

pytestmark = pytest.mark.django_db


def test_malformed_rows_are_rejected_and_named_and_the_rest_load():
    result = imported("tmdb", TMDB_METADATA)
    run = result.runs[0]
    assert (run.rows, run.created, run.unchanged, run.rejected) == (11, 6, 1, 4)
    reasons = dict(RejectedRow.objects.filter(run=run).values_list("line_number", "reason"))
    assert reasons[8] == "expected 24 fields, got 10"
    assert reasons[9] == "expected 24 fields, got 15 (id holds a date: a line break split the record)"
    assert reasons[11].startswith("genres: not a Python literal")
    assert reasons[12] == "id is not an integer: '2012-09-29' (looks like a date: the columns are shifted)"
    assert RejectedRow.objects.get(run=run, line_number=9).raw.startswith(" - Written by Ørnås")
    assert not Title.objects.filter(name__in=["Shifted Row", "Ingen kan älska som vi", "Unclosed Genres"]).exists()


def test_nested_columns_and_numbers():
    imported("tmdb", TMDB_METADATA)
    toy = Title.objects.get(tmdb_id=862)
    assert (toy.imdb_id, toy.year, toy.runtime_minutes) == ("tt0114709", 1995, 81)
    assert sorted(toy.genres.values_list("name", flat=True)) == ["Animation", "Comedy", "Family"]
    details = toy.details
    assert details.collection.name == "Toy Story Collection" and details.collection.tmdb_id == 10194
    assert (details.budget, details.revenue, details.vote_count) == (30000000, 373554033, 5415)
    assert details.popularity == pytest.approx(21.946943) and details.vote_average == pytest.approx(7.7)
    assert list(toy.companies.values_list("name", flat=True)) == ["Pixar Animation Studios"]
    assert list(toy.countries.values_list("name", "iso_code")) == [("United States of America", "US")]


def test_embedded_quotes_newlines_and_unknown_numbers():
    imported("tmdb", TMDB_METADATA)
    assert Company.objects.filter(name='Zespól Filmowy "X"', tmdb_id=7475).exists()
    assert Company.objects.filter(name="Children's Film Foundation").exists()
    assert "board game,\nthey" in Title.objects.get(tmdb_id=8844).description
    leader = Title.objects.get(tmdb_id=124057)
    assert leader.runtime_minutes is None and leader.details.budget is None  # 0.0 and 0 mean unknown
    exhale = Title.objects.get(tmdb_id=31357)
    assert exhale.year is None and exhale.details.release_date is None


def test_duplicate_id_loads_once():
    result = imported("tmdb", TMDB_METADATA)
    assert Title.objects.filter(tmdb_id=105045).count() == 1
    assert result.totals.unchanged == 1


def test_duplicate_id_with_other_content_is_rejected(tmp_path):
    changed = copy_with(tmp_path, TMDB_METADATA)
    lines = changed.read_text(encoding="utf-8").split("\n")
    lines[9] = lines[9].replace("A promise.", "Another promise.")
    changed.write_text("\n".join(lines), encoding="utf-8")
    result = imported("tmdb", changed)
    reasons = list(RejectedRow.objects.filter(run=result.runs[0]).values_list("reason", flat=True))
    assert "duplicate id '105045' (first on line 7) with different content" in reasons


def test_credits_and_keywords_after_metadata_in_any_argument_order():
    result = imported("tmdb", TMDB_KEYWORDS, TMDB_CREDITS, TMDB_METADATA)
    assert [run.role for run in result.runs] == ["metadata", "credits", "keywords"]
    toy = Title.objects.get(tmdb_id=862)
    assert list(Credit.objects.filter(title=toy, role="director").values_list("person__name", "person__tmdb_id")) == [("John Lasseter", 7879)]
    actors = Credit.objects.filter(title=toy, role="actor").order_by("order")
    assert [(c.person.name, c.character) for c in actors] == [("Tom Hanks", "Woody (voice)"), ("Tim Allen", "Buzz Lightyear (voice)")]
    assert sorted(toy.keywords.values_list("name", flat=True)) == ["boy next door", "jealousy", "toy"]
    credits_run, keywords_run = result.runs[1], result.runs[2]
    assert credits_run.rejected == 1 and "unknown TMDB id 999999" in credits_run.rejected_rows.get().reason
    assert keywords_run.rejected == 1 and keywords_run.rejected_rows.get().reason == "id is not an integer: 'abc'"


def test_reimport_is_unchanged():
    imported("tmdb", TMDB_METADATA, TMDB_CREDITS, TMDB_KEYWORDS)
    counts = (Title.objects.count(), Credit.objects.count(), Keyword.objects.count(), TitleDetails.objects.count())
    again = imported("tmdb", TMDB_METADATA, TMDB_CREDITS, TMDB_KEYWORDS).totals
    assert (again.created, again.updated, again.rejected) == (0, 0, 6)
    assert again.unchanged == again.rows - again.rejected
    assert (Title.objects.count(), Credit.objects.count(), Keyword.objects.count(), TitleDetails.objects.count()) == counts


def test_changed_metadata_updates_details(tmp_path):
    imported("tmdb", TMDB_METADATA)
    changed = copy_with(tmp_path, TMDB_METADATA, replace=("7.7,5415", "7.8,5500"))
    result = imported("tmdb", changed)
    assert result.totals.updated == 1
    details = TitleDetails.objects.get(title__tmdb_id=862)
    assert (details.vote_average, details.vote_count) == (7.8, 5500)


def test_credit_person_known_by_name_adopts_the_tmdb_id():
    from catalog.services import ensure_people_by_name

    ensure_people_by_name(["Tom Hanks"])
    imported("tmdb", TMDB_METADATA, TMDB_CREDITS)
    from catalog.models import Person

    assert list(Person.objects.filter(name="Tom Hanks").values_list("tmdb_id", flat=True)) == [31]
