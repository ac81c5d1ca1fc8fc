"""MovieLens tags.csv and the tag genome: per-title tags, counted, by the ratings' accounts."""
import pytest
from django.contrib.auth import get_user_model

from catalog.models import GenomeScore, GenomeTag, Tag, TagApplication, Title
from ratings.models import Rating
from recommender.content import TitleContent, features, tfidf_matrix
from recommender.selectors import title_contents
from tests.fixtures.pipeline import FIXTURES, imported

pytestmark = pytest.mark.django_db
User = get_user_model()
DUMP = FIXTURES / "resolution"
FILES = [DUMP / name for name in ("movies.csv", "links.csv", "ratings.csv", "tags.csv")]


def test_the_four_files_of_a_dump_account_for_every_row():
    result = imported("movielens", *reversed(FILES))
    assert result.ok and [run.role for run in result.runs] == ["movies", "links", "ratings", "tags"]
    for run, path in zip(result.runs, FILES):
        data_rows = len(path.read_text(encoding="utf-8").splitlines()) - 1
        assert run.rows == data_rows == run.created + run.updated + run.unchanged + run.rejected, run.path
    tags = result.runs[3]
    # 12 rows: "CYBERPUNK" by user 1 on The Matrix repeats their "cyberpunk": one application
    assert (tags.rows, tags.created, tags.unchanged, tags.rejected) == (12, 11, 1, 0)
    assert result.summary_line() == "rows=41 created=32 updated=8 unchanged=1 rejected=0"


def test_tags_are_normalised_counted_per_title_and_kept_with_who_applied_them():
    imported("movielens", *FILES)
    matrix = Title.objects.get(movielens_id=2571)
    applied = sorted(TagApplication.objects.filter(title=matrix).values_list("tag__name", "user__username"))
    assert applied == [("cyberpunk", "movielens-1"), ("cyberpunk", "movielens-2"), ("philosophy", "movielens-3")]
    assert Tag.objects.filter(name="assassin girl").exists()  # "  assassin   girl " normalised
    assert not Tag.objects.filter(name__in=["Cyberpunk ", "CYBERPUNK", "Hitman"]).exists()
    # the person who tagged is the account their ratings belong to
    rater = Rating.objects.get(title=matrix, score=5.0).user
    assert TagApplication.objects.filter(title=matrix, user=rater, tag__name="cyberpunk").exists()
    first = TagApplication.objects.get(title=matrix, user=rater)
    assert first.applied_at.timestamp() == 964982800  # dated by the first of the two spellings


def test_bad_tag_rows_are_rejected_with_reasons(tmp_path):
    imported("movielens", DUMP / "movies.csv")
    bad = tmp_path / "tags.csv"
    bad.write_text(
        "userId,movieId,tag,timestamp\n"
        "1,2571,ok tag,964982800\n"
        "x,2571,bad user,964982800\n"
        "1,999999,unknown movie,964982800\n"
        "1,2571,   ,964982800\n"
        "1,2571,two,fields,too many\n"
        f"1,2571,{'a' * 300},964982800\n"
        "1,2571,no timestamp,\n"
        '1,2571,"quoted, with a comma",964982801\n',
        encoding="utf-8",
    )
    run = imported("movielens", bad).runs[0]
    assert (run.rows, run.created, run.rejected) == (8, 2, 6)
    reasons = dict(run.rejected_rows.values_list("line_number", "reason"))
    assert reasons == {
        3: "userId is not an integer: 'x'",
        4: "unknown MovieLens movie 999999: import movies first",
        5: "tag is empty",
        6: "expected 4 fields (userId,movieId,tag,timestamp), got 5",
        7: "tag is longer than 255 characters (300)",
        8: "timestamp is not an integer: ''",
    }
    assert Tag.objects.filter(name="quoted, with a comma").exists()


def test_reimport_changes_nothing():
    imported("movielens", *FILES)
    before = sorted(TagApplication.objects.values_list("title_id", "tag_id", "user_id", "applied_at"))
    again = imported("movielens", *FILES)
    t = again.totals
    assert (t.created, t.updated, t.rejected) == (0, 0, 0) and t.unchanged == t.rows == 41
    assert sorted(TagApplication.objects.values_list("title_id", "tag_id", "user_id", "applied_at")) == before


def test_genome_files_load_and_reload_unchanged():
    genome = [DUMP / "genome-tags.csv", DUMP / "genome-scores.csv"]
    result = imported("movielens", DUMP / "movies.csv", *genome)
    assert [run.role for run in result.runs] == ["movies", "genome-tags", "genome-scores"]
    assert (result.runs[1].created, result.runs[2].created) == (4, 36)
    assert GenomeTag.objects.get(genome_id=2).name == "cyberpunk"
    assert GenomeScore.objects.get(title__movielens_id=2571, tag__genome_id=2).relevance == 0.975
    again = imported("movielens", *genome).totals
    assert (again.created, again.updated, again.unchanged) == (0, 0, 40)


def test_genome_scores_without_their_tags_are_rejected(tmp_path):
    imported("movielens", DUMP / "movies.csv")
    scores = tmp_path / "genome-scores.csv"
    scores.write_text("movieId,tagId,relevance\n2571,77,0.5\n2571,1,1.5\n", encoding="utf-8")
    GenomeTag.objects.create(genome_id=1, name="007")
    run = imported("movielens", scores).runs[0]
    assert sorted(run.rejected_rows.values_list("reason", flat=True)) == [
        "relevance 1.5 is not between 0 and 1", "unknown genome tag 77: import genome-tags.csv with it",
    ]


def test_title_page_and_api_show_top_tags(client):
    imported("movielens", *FILES)
    matrix = Title.objects.get(movielens_id=2571)
    page = client.get(matrix.get_absolute_url()).content.decode()
    assert "What viewers tag it" in page and "cyberpunk" in page and "philosophy" in page
    data = client.get(f"/api/v1/titles/{matrix.pk}/").json()
    assert data["tags"] == [{"name": "cyberpunk", "count": 2}, {"name": "philosophy", "count": 1}]


def test_content_model_uses_tags_and_relevant_genome_tags():
    imported("movielens", DUMP / "movies.csv", DUMP / "tags.csv", DUMP / "genome-tags.csv", DUMP / "genome-scores.csv")
    ids = list(Title.objects.filter(movielens_id__in=[2571, 741, 6]).order_by("movielens_id").values_list("pk", flat=True))
    contents = {c.title_id: c for c in title_contents(ids)}
    heat, ghost, matrix = (contents[pk] for pk in ids)
    assert sorted(matrix.tags) == ["cyberpunk", "cyberpunk", "cyberpunk", "philosophy"]  # 2 people + the genome
    assert features(matrix)["tag:cyberpunk"] == 3 and "tag:heist" in features(heat)
    # Tags alone (and the kind all share): the two cyberpunk titles are far nearer each other than to Heat
    bare = [TitleContent(c.title_id, "movie", None, [], [], [], "", c.tags) for c in (heat, ghost, matrix)]
    similarity = (tfidf_matrix(bare) @ tfidf_matrix(bare).T).toarray()
    assert similarity[1, 2] > 0.5 > 0.2 > max(similarity[0, 1], similarity[0, 2])
