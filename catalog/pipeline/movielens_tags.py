"""MovieLens ml-latest tags: ``tags.csv`` (who put which tag on which movie) and the tag genome
(``genome-tags.csv``, ``genome-scores.csv``: a relevance from 0 to 1 of 1,128 tags per movie).

Tags are normalised (lower case, single spaces), so "Dark  Comedy" and "dark comedy" are one tag;
a title's count of a tag is the number of people who applied it. The person is the account the
ratings of the same dump map them to (``ratings.bulk.ensure_imported_raters``). A person applying
one tag twice (in two spellings) is one application, dated by the first.
"""
from datetime import UTC, datetime

from django.db import connection

from catalog import services
from catalog.models import GenomeScore, GenomeTag, Tag, TagApplication, Title
from ratings.bulk import ensure_imported_raters

from .base import Batch, RowError, load_csv_records

TAG_MAX = 255
TAG_BATCH = 20_000
GENOME_BATCH = 50_000


def normalise_tag(text: str) -> str:
    return " ".join(text.split()).lower()


def _movie_titles() -> dict[int, int]:
    return dict(Title.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "id"))


def _integer(value: str, column: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise RowError(f"{column} is not an integer: {text[:40]!r}")
    return int(text)


def load_tags(file, recorder, index, progress, batch_size) -> None:
    movie_titles = _movie_titles()
    accounts: dict[int, int] = {}

    def transform(row: list[str], line: int) -> tuple[int, int, str, int]:
        if len(row) != 4:
            raise RowError(f"expected 4 fields (userId,movieId,tag,timestamp), got {len(row)}")
        user, movie, ts = _integer(row[0], "userId"), _integer(row[1], "movieId"), _integer(row[3], "timestamp")
        tag = normalise_tag(row[2])
        if not tag:
            raise RowError("tag is empty")
        if len(tag) > TAG_MAX:
            raise RowError(f"tag is longer than {TAG_MAX} characters ({len(tag)})")
        title_id = movie_titles.get(movie)
        if title_id is None:
            raise RowError(f"unknown MovieLens movie {movie}: import movies first")
        return user, title_id, tag, ts

    def flush(records: list, batch: Batch) -> None:
        def write() -> None:
            new_users = {user for user, *_ in records if user not in accounts}
            if new_users:
                accounts.update(ensure_imported_raters(new_users, prefix=file.rater_prefix))
            tag_ids = ensure_tags({tag for _, _, tag, _ in records})
            first: dict[tuple[int, int, int], int] = {}  # (title, tag, user) -> earliest timestamp
            for user, title_id, tag, ts in records:
                key = (title_id, tag_ids[tag], accounts[user])
                first[key] = min(ts, first.get(key, ts))
            existing = {}
            for qs in services.filter_in(TagApplication.objects.all(), "user_id", sorted({u for _, _, u in first})):
                for pk, title_id, tag_id, user_id, when in qs.values_list("pk", "title_id", "tag_id", "user_id", "applied_at"):
                    existing[(title_id, tag_id, user_id)] = (pk, when)
            create, earlier = [], []
            for key, ts in first.items():
                when = datetime.fromtimestamp(ts, tz=UTC)
                found = existing.get(key)
                if found is None:
                    create.append((*key, connection.ops.adapt_datetimefield_value(when)))
                elif when < found[1]:
                    earlier.append(TagApplication(pk=found[0], applied_at=when))
            services.insert_ignoring_conflicts(TagApplication, ["title", "tag", "user", "applied_at"], create)
            services.update_objects(earlier, ["applied_at"])
            batch.counts.rows += len(records)
            batch.counts.created += len(create)
            batch.counts.updated += len(earlier)
            batch.counts.unchanged += len(records) - len(create) - len(earlier)

        recorder.commit(batch, write)

    load_csv_records(file.info, transform, flush, batch_size or TAG_BATCH, progress)


def ensure_tags(names: set[str]) -> dict[str, int]:
    """Tag ids by (normalised) name, creating the missing tags."""
    found: dict[str, int] = {}
    for qs in services.filter_in(Tag.objects.all(), "name", sorted(names)):
        found.update(qs.values_list("name", "id"))
    missing = sorted(names - found.keys())
    if missing:
        services.insert_ignoring_conflicts(Tag, ["name"], [(name,) for name in missing])
        for qs in services.filter_in(Tag.objects.all(), "name", missing):
            found.update(qs.values_list("name", "id"))
    return found


def load_genome_tags(file, recorder, index, progress, batch_size) -> None:
    def transform(row: list[str], line: int) -> tuple[int, str]:
        if len(row) != 2:
            raise RowError(f"expected 2 fields (tagId,tag), got {len(row)}")
        name = normalise_tag(row[1])
        if not name:
            raise RowError("tag is empty")
        if len(name) > TAG_MAX:
            raise RowError(f"tag is longer than {TAG_MAX} characters ({len(name)})")
        return _integer(row[0], "tagId"), name

    def flush(records: list, batch: Batch) -> None:
        def write() -> None:
            wanted = dict(records)
            existing = {tag.genome_id: tag for tag in GenomeTag.objects.filter(genome_id__in=list(wanted))}
            renamed = [tag for genome_id, tag in existing.items() if tag.name != wanted[genome_id]]
            for tag in renamed:
                tag.name = wanted[tag.genome_id]
            services.update_objects(renamed, ["name"])
            create = [(genome_id, name) for genome_id, name in wanted.items() if genome_id not in existing]
            services.insert_ignoring_conflicts(GenomeTag, ["genome_id", "name"], create)
            batch.counts.rows += len(records)
            batch.counts.created += len(create)
            batch.counts.updated += len(renamed)
            batch.counts.unchanged += len(records) - len(create) - len(renamed)

        recorder.commit(batch, write)

    load_csv_records(file.info, transform, flush, batch_size or GENOME_BATCH, progress)


def load_genome_scores(file, recorder, index, progress, batch_size) -> None:
    movie_titles = _movie_titles()
    genome_tags = dict(GenomeTag.objects.values_list("genome_id", "id"))

    def transform(row: list[str], line: int) -> tuple[int, int, float]:
        if len(row) != 3:
            raise RowError(f"expected 3 fields (movieId,tagId,relevance), got {len(row)}")
        movie, genome_id = _integer(row[0], "movieId"), _integer(row[1], "tagId")
        try:
            relevance = float(row[2])
        except ValueError:
            raise RowError(f"relevance is not a number: {row[2][:40]!r}") from None
        if not 0.0 <= relevance <= 1.0:
            raise RowError(f"relevance {row[2][:40]} is not between 0 and 1")
        title_id = movie_titles.get(movie)
        if title_id is None:
            raise RowError(f"unknown MovieLens movie {movie}: import movies first")
        tag_id = genome_tags.get(genome_id)
        if tag_id is None:
            raise RowError(f"unknown genome tag {genome_id}: import genome-tags.csv with it")
        return title_id, tag_id, relevance

    def flush(records: list, batch: Batch) -> None:
        def write() -> None:
            latest = {(title_id, tag_id): relevance for title_id, tag_id, relevance in records}
            existing = {}
            for qs in services.filter_in(GenomeScore.objects.all(), "title_id", sorted({t for t, _ in latest})):
                for pk, title_id, tag_id, relevance in qs.values_list("pk", "title_id", "tag_id", "relevance"):
                    existing[(title_id, tag_id)] = (pk, relevance)
            create = [(t, g, r) for (t, g), r in latest.items() if (t, g) not in existing]
            changed = [GenomeScore(pk=existing[key][0], relevance=r) for key, r in latest.items()
                       if key in existing and existing[key][1] != r]
            services.insert_ignoring_conflicts(GenomeScore, ["title", "tag", "relevance"], create)
            services.update_objects(changed, ["relevance"])
            batch.counts.rows += len(records)
            batch.counts.created += len(create)
            batch.counts.updated += len(changed)
            batch.counts.unchanged += len(records) - len(create) - len(changed)

        recorder.commit(batch, write)

    load_csv_records(file.info, transform, flush, batch_size or GENOME_BATCH, progress)


LOADERS = {"tags": load_tags, "genome-tags": load_genome_tags, "genome-scores": load_genome_scores}
