"""Reads of model versions, and recommendations served from the current one."""
import hashlib
import struct
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection
from django.db.models import Q

from catalog.models import Title
from catalog.selectors import (
    TitleFilters,
    active_titles,
    popular_titles,
    title_ids_matching,
    title_summaries,
)
from catalog.summaries import CATALOG_REVISION, SUMMARY_CACHE_SECONDS, inactive_title_ids
from ratings.models import Dismissal, Rating
from ratings.selectors import user_scores
from streamrec.models import Revision
from streamrec.prepared import prepared_cursor

from .content import TitleContent
from .models import KeptRanking, ModelVersion
from .services import keep_ranking

if TYPE_CHECKING:  # serving imports this module
    from .serving import LoadedModel


def serving_version() -> ModelVersion | None:
    """The ready version activated most recently: the one every process serves."""
    return (
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__isnull=False)
        .order_by("-activated_at", "-pk")
        .first()
    )


# Top-billed cast members carry taste; the long tail of extras only adds noise.
CAST_MEMBERS_PER_TITLE = 6


def title_contents(title_ids: list[int]) -> list[TitleContent]:
    """What the content model knows of each title: genres, people, keywords, kind, year, description."""
    from catalog.models import Credit

    genres: dict[int, list[str]] = defaultdict(list)
    for title_id, name in Title.genres.through.objects.filter(title_id__in=title_ids).values_list("title_id", "genre__name"):
        genres[title_id].append(name)
    people: dict[int, list[str]] = defaultdict(list)
    credits = Credit.objects.filter(title_id__in=title_ids).filter(
        Q(role=Credit.Role.DIRECTOR) | Q(order__lt=CAST_MEMBERS_PER_TITLE)
    )
    for title_id, name in credits.values_list("title_id", "person__name"):
        people[title_id].append(name)
    keywords: dict[int, list[str]] = defaultdict(list)
    for title_id, name in Title.keywords.through.objects.filter(title_id__in=title_ids).values_list("title_id", "keyword__name"):
        keywords[title_id].append(name)
    rows = Title.objects.filter(pk__in=title_ids).values_list("pk", "kind", "year", "description")
    by_id = {
        pk: TitleContent(pk, kind, year, genres[pk], people[pk], keywords[pk], description or "")
        for pk, kind, year, description in rows
    }
    return [by_id[title_id] for title_id in title_ids if title_id in by_id]


def unrated_active_title_ids(known_ids) -> list[int]:
    """Active titles outside ``known_ids`` (titles a model has factors for)."""
    known = set(int(title_id) for title_id in known_ids)
    return [pk for pk in active_titles().values_list("pk", flat=True).order_by("pk") if pk not in known]


def versions_with_artifact_errors() -> list[ModelVersion]:
    """Ready versions whose artifact a process found missing or corrupted (see
    ``services.record_artifact_error``), newest first: shown to staff."""
    from .services import ARTIFACT_ERROR_PREFIX

    return list(
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, error__startswith=ARTIFACT_ERROR_PREFIX).order_by("-created_at", "-pk")
    )


def fallback_versions(serving: ModelVersion) -> list[ModelVersion]:
    """Older ready versions that served before ``serving``, newest first: rollback candidates."""
    return list(
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__lt=serving.activated_at)
        .order_by("-activated_at")[:5]
    )


MIN_RATINGS_FOR_PERSONAL = 3


# Only titles the user liked explain a recommendation ("because you rated X 4.5").
LIKED_SCORE = 4.0


@dataclass(frozen=True)
class Because:
    """The user's own rating that a recommendation most resembles."""

    title: Title
    score: float

    def __str__(self) -> str:
        return f"Because you rated {self.title.name} {self.score:g}"


@dataclass(frozen=True)
class Recommendation:
    title: Title
    predicted_rating: float
    personalized: bool
    because: Because | None = None

    @property
    def explanation(self) -> str:
        """Why this title is recommended, in one sentence."""
        if self.because is not None:
            return str(self.because)
        if self.personalized:
            return f"Predicted {self.predicted_rating:g} stars for you from your ratings"
        return "Popular with StreamRec viewers; rate a few titles for personal picks"


def model_for(rating_count: int) -> "LoadedModel | None":
    """The serving model when a user with this many ratings gets personal predictions, else None."""
    from .serving import current_model

    return current_model() if rating_count >= MIN_RATINGS_FOR_PERSONAL else None


def personal_model(user) -> tuple["LoadedModel | None", dict[int, float]]:
    """``user``'s current ratings, and the serving model if it can predict for them (else None)."""
    scores = user_scores(user) if user.is_authenticated else {}
    return model_for(len(scores)), scores


# A user's ratings as read for recommendations: (title id, score) pairs in title id order, packed
# big-endian as PostgreSQL's int8send/float8send write them.
RATING_ROW = np.dtype([("title_id", ">i8"), ("score", ">f8")])
TITLE_ID = np.dtype(">i8")


@dataclass(frozen=True)
class PersonalInputs:
    """What a user's recommendations are computed from, read fresh: their ratings (``RATING_ROW``
    pairs) and dismissed title ids (``TITLE_ID``s), both packed in title id order, their kept
    ranking (``KeptRanking.ranking``) and answer (``KeptRanking.answer``) or None, and with them
    the catalog revision's number at the time of the read (else 0).

    Packed, so a request served from the kept answer hashes the ratings without making a Python
    object of each."""

    ratings: bytes = b""
    dismissed_ids: bytes = b""
    kept: bytes | None = None
    answer: bytes | None = None
    catalog_revision: int = 0

    @cached_property
    def scores(self) -> dict[int, float]:
        rows = np.frombuffer(self.ratings, dtype=RATING_ROW)
        return dict(zip(rows["title_id"].tolist(), rows["score"].tolist(), strict=True))

    @cached_property
    def dismissed(self) -> set[int]:
        return set(np.frombuffer(self.dismissed_ids, dtype=TITLE_ID).tolist())

    @property
    def rating_count(self) -> int:
        return len(self.ratings) // RATING_ROW.itemsize

    @cached_property
    def fingerprint(self) -> bytes:
        """A digest of the exact (title id, score) pairs."""
        return hashlib.blake2b(self.ratings, digest_size=16).digest()


def personal_inputs(user) -> PersonalInputs:
    """``user``'s ratings, dismissals, kept ranking and kept answer in one database round trip.

    Every recommendation request reads them. Written in SQL because the ORM took three times as long
    to build it as the database took to answer it, and prepared (``streamrec.prepared``): planning
    it took as long as running it.
    """
    if connection.vendor == "postgresql":
        return _personal_inputs_packed_by_postgresql(user)
    return _personal_inputs_portable(user)


def _personal_inputs_packed_by_postgresql(user) -> PersonalInputs:
    """One row: the database packs the ratings and dismissals (one value each, not a row per rating)."""
    sql = (
        f"SELECT k.ranking, k.answer, (SELECT number FROM {Revision._meta.db_table} WHERE name = %s), "
        f"(SELECT string_agg(int8send(title_id) || float8send(score), ''::bytea ORDER BY title_id) "
        f"FROM {Rating._meta.db_table} WHERE user_id = %s), "
        f"(SELECT string_agg(int8send(title_id), ''::bytea ORDER BY title_id) FROM {Dismissal._meta.db_table} WHERE user_id = %s) "
        f"FROM (SELECT 1) AS one LEFT JOIN {KeptRanking._meta.db_table} k ON k.user_id = %s"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [CATALOG_REVISION] + [user.pk] * 3)
        ranking, answer, revision, ratings, dismissed_ids = cursor.fetchone()
    if ranking is None:
        return PersonalInputs(ratings or b"", dismissed_ids or b"")
    return PersonalInputs(ratings or b"", dismissed_ids or b"", ranking, answer or None, revision or 0)


def _personal_inputs_portable(user) -> PersonalInputs:
    """The same in SQL any database runs: a row per rating and dismissal, packed here."""
    # The kept row comes first: PostgreSQL types each column of a union from its first branches.
    sql = (
        f"SELECT NULL, NULL, ranking, answer, (SELECT number FROM {Revision._meta.db_table} WHERE name = %s) "
        f"FROM {KeptRanking._meta.db_table} WHERE user_id = %s "
        f"UNION ALL SELECT title_id, score, NULL, NULL, NULL FROM {Rating._meta.db_table} WHERE user_id = %s "
        f"UNION ALL SELECT title_id, NULL, NULL, NULL, NULL FROM {Dismissal._meta.db_table} WHERE user_id = %s "
        "ORDER BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [CATALOG_REVISION] + [user.pk] * 3)
        rows = cursor.fetchall()
    ratings, dismissed = [], []
    kept = answer = None
    catalog_revision = 0
    for title_id, score, ranking, answer_bytes, revision in rows:
        if ranking is not None:
            kept, answer, catalog_revision = bytes(ranking), bytes(answer_bytes) or None, revision or 0
        elif score is None:
            dismissed.append(title_id)
        else:
            ratings.append((title_id, score))
    return PersonalInputs(
        np.array(ratings, dtype=RATING_ROW).tobytes(), np.array(dismissed, dtype=TITLE_ID).tobytes(), kept, answer, catalog_revision
    )


def recommend_for_user(user, n: int = 10, filters: TitleFilters = TitleFilters()) -> list[Recommendation]:
    """The user's top ``n`` titles in the model's ranking order (each with its predicted rating),
    never one already rated or dismissed.

    Users with fewer than ``MIN_RATINGS_FOR_PERSONAL`` ratings, or when no model serves, get
    the most popular titles by damped average instead (``personalized`` is False).
    """
    inputs = personal_inputs(user) if user.is_authenticated else PersonalInputs()
    return recommend_from_inputs(model_for(inputs.rating_count), user, inputs, n, filters)


def recommend_from_inputs(model, user, inputs: PersonalInputs, n: int = 10, filters: TitleFilters = TitleFilters()) -> list[Recommendation]:
    """``recommend_for_user`` from ``inputs`` already read (``personal_inputs``) and the serving
    ``model`` for them (``model_for``)."""
    if model is not None:
        personal = personal_top_n(model, user, inputs, n, filters)
        if personal:
            return personal
    return [
        Recommendation(title=title, predicted_rating=round(score, 2), personalized=False)
        for title, score in popular_titles(n, exclude_ids=inputs.scores.keys() | inputs.dismissed, filters=filters)
    ]


def personal_top_n(model, user, inputs: PersonalInputs, n: int, filters: TitleFilters) -> list[Recommendation]:
    scores, dismissed = inputs.scores, inputs.dismissed
    if filters != TitleFilters():
        ranked, liked = ranked_with_reasons(model, scores, n, set(title_ids_matching(filters)) - dismissed)
    else:
        # Rank a few spare candidates: some may be dismissed or deactivated since training.
        ranked, liked = kept_ranking(model, user, inputs, n + 20 + len(dismissed))
        ranked = [(t, s) for t, s in ranked if t not in dismissed]
    picked, titles = _active_picks(ranked, liked, n)
    if len(picked) < min(n, len(ranked)):
        ranked, liked = ranked_with_reasons(model, scores, n, set(title_ids_matching(filters)) - dismissed)
        picked, titles = _active_picks(ranked, liked, n)
    recommendations = []
    for title_id, score in picked:
        rated_id = liked.get(title_id)
        because = Because(titles[rated_id], scores[rated_id]) if rated_id in titles else None
        recommendations.append(Recommendation(title=titles[title_id], predicted_rating=round(score, 2), personalized=True, because=because))
    return recommendations


def ranked_with_reasons(model, scores: dict[int, float], n: int, allowed_title_ids=None):
    """``model.top_n`` for a user with ``scores``, and for each title the liked title of theirs it
    most resembles (``model.closest_rated``), by title id."""
    ranked = model.top_n(scores, n, allowed_title_ids=allowed_title_ids)
    closest = model.closest_rated([title_id for title_id, _ in ranked], liked_title_ids(scores))
    return ranked, {title_id: liked_id for title_id, (liked_id, _) in closest.items()}


# A kept ranking holds at least this many titles, so pages asking for a few more than the API's
# default still find it.
KEPT_RANKING_SIZE = 40


@dataclass(frozen=True)
class KeptList:
    """A ranking as kept in ``KeptRanking.ranking``: a header (version, fingerprint, how many titles
    were asked for: fewer come back when fewer are left), then per title its id, predicted stars and
    the liked title explaining it (0: none), as packed arrays."""

    version_id: int
    fingerprint: bytes  # ``PersonalInputs.fingerprint``
    count: int
    ranked: list[tuple[int, float]]
    liked: dict[int, int]  # title id -> the liked title explaining it

    HEADER = struct.Struct("<q16sq")

    def pack(self) -> bytes:
        ids = np.array([title_id for title_id, _ in self.ranked], dtype=np.int64)
        stars = np.array([stars for _, stars in self.ranked], dtype=np.float64)
        liked = np.array([self.liked.get(title_id, 0) for title_id, _ in self.ranked], dtype=np.int64)
        return self.HEADER.pack(self.version_id, self.fingerprint, self.count) + ids.tobytes() + stars.tobytes() + liked.tobytes()

    @classmethod
    def unpack(cls, data: bytes) -> "KeptList":
        version_id, fingerprint, count = cls.HEADER.unpack_from(data)
        columns = np.frombuffer(data, dtype=np.int64, offset=cls.HEADER.size).reshape(3, -1)
        ids, stars, liked = columns[0].tolist(), columns[1].view(np.float64).tolist(), columns[2].tolist()
        return cls(
            version_id,
            fingerprint,
            count,
            list(zip(ids, stars, strict=True)),
            {title_id: liked_id for title_id, liked_id in zip(ids, liked, strict=True) if liked_id},
        )


def kept_ranking(model, user, inputs: PersonalInputs, n: int):
    """``ranked_with_reasons`` over every title, at least ``n`` long: the user's kept ranking when
    it was computed by this model version from exactly these ratings (their fingerprint), else
    computed now and kept for the next request, in whichever process it lands. A user whose ratings
    have not changed since, as when an app screen or the home page is shown again, is spared the
    fold-in and scoring; their ratings are still read on every request, so a new rating counts at
    once."""
    fingerprint = inputs.fingerprint
    kept = _unpacked_ranking(inputs.kept)
    if kept is not None and kept.version_id == model.version_id and kept.fingerprint == fingerprint and kept.count >= n:
        return kept.ranked, kept.liked
    count = max(n, KEPT_RANKING_SIZE + len(inputs.dismissed))
    ranked, liked = ranked_with_reasons(model, inputs.scores, count)
    keep_ranking(user, KeptList(model.version_id, fingerprint, count, ranked, liked).pack())
    return ranked, liked


def _unpacked_ranking(data: bytes | None) -> KeptList | None:
    """The kept ranking, or None when there is none or its bytes are not a ``KeptList`` (it is then
    computed again and overwritten)."""
    if data is None:
        return None
    try:
        return KeptList.unpack(data)
    except (struct.error, ValueError):
        return None


# A kept answer shows title summaries; past this age it is made again, so a change that moved no
# revision (a bulk UPDATE) shows no later than this after the summaries it was made from.
KEPT_ANSWER_SECONDS = SUMMARY_CACHE_SECONDS
# Part of every answer's key: change it with the answer's JSON, so no process serves an answer
# written in another shape (during a deploy, old and new code share the kept rows).
ANSWER_FORMAT = 1


@dataclass(frozen=True)
class KeptAnswer:
    """An API answer as kept in ``KeptRanking.answer``: a header (``answer_key``, the catalog
    revision as the process that made it had last read it, when it was made (Unix time), how many
    titles it recommends), those titles' ids, then the JSON body."""

    key: bytes  # ``answer_key``
    catalog_revision: int
    made_at: float
    title_ids: tuple[int, ...]
    body: bytes

    HEADER = struct.Struct("<16sqdq")

    def pack(self) -> bytes:
        ids = struct.pack(f"<{len(self.title_ids)}q", *self.title_ids)
        return self.HEADER.pack(self.key, self.catalog_revision, self.made_at, len(self.title_ids)) + ids + self.body

    @classmethod
    def unpack(cls, data: bytes) -> "KeptAnswer":
        """Raises ``struct.error`` for bytes that are not a packed answer."""
        key, catalog_revision, made_at, count = cls.HEADER.unpack_from(data)
        ids = struct.unpack_from(f"<{count}q", data, cls.HEADER.size)
        return cls(key, catalog_revision, made_at, ids, data[cls.HEADER.size + 8 * count:])


def answer_key(version_id: int, inputs: PersonalInputs) -> bytes:
    """A digest of what an answer's choice of titles depends on besides the catalog: the serving
    version, the user's ratings (their fingerprint) and their dismissals, and the answer's format."""
    return hashlib.blake2b(
        struct.pack("<qq", ANSWER_FORMAT, version_id) + inputs.fingerprint + inputs.dismissed_ids, digest_size=16
    ).digest()


def kept_answer(model, inputs: PersonalInputs) -> bytes | None:
    """The kept answer's body (``KeptAnswer``) when it is current: made by the serving ``model``
    from exactly these ratings and dismissals, under the catalog revision the database has now,
    less than ``KEPT_ANSWER_SECONDS`` ago, and recommending no title hidden since. Else None (also
    for bytes that do not unpack: the answer is made again and overwrites them)."""
    if inputs.answer is None:
        return None
    try:
        answer = KeptAnswer.unpack(inputs.answer)
    except struct.error:
        return None
    current = (
        answer.key == answer_key(model.version_id, inputs)
        and answer.catalog_revision == inputs.catalog_revision
        and 0 <= time.time() - answer.made_at < KEPT_ANSWER_SECONDS
        and inactive_title_ids().isdisjoint(answer.title_ids)
    )
    return answer.body if current else None


def _active_picks(ranked: list[tuple[int, float]], liked: dict[int, int], n: int):
    """The first ``n`` of ``ranked`` that are still active, and those titles with the liked titles
    that explain them (``liked``), with their genres. Titles are read for the next ``n`` candidates
    and their explanations at once (one query), and again only if some were deactivated."""
    titles: dict[int, Title] = {}
    picked: list[tuple[int, float]] = []
    start = 0
    while len(picked) < n and start < len(ranked):
        chunk = ranked[start:start + n - len(picked)]
        start += len(chunk)
        wanted = {title_id for title_id, _ in chunk} | {liked[title_id] for title_id, _ in chunk if title_id in liked}
        titles.update(title_summaries(wanted - titles.keys(), active_only=False))
        inactive = inactive_title_ids()
        picked += [(title_id, score) for title_id, score in chunk if title_id in titles and title_id not in inactive]
    return picked, titles


def liked_title_ids(scores: dict[int, float]) -> list[int]:
    return [title_id for title_id, score in scores.items() if score >= LIKED_SCORE]


def explanations(model, title_ids: list[int], scores: dict[int, float]) -> dict[int, Because]:
    """For each recommended title, the liked title of the user's that it most resembles."""
    closest = model.closest_rated(title_ids, liked_title_ids(scores))
    rated_titles = Title.objects.only("pk", "name").in_bulk({rated_id for rated_id, _ in closest.values()})
    return {
        title_id: Because(rated_titles[rated_id], scores[rated_id])
        for title_id, (rated_id, _) in closest.items()
        if rated_id in rated_titles
    }


def similar_titles(title: Title, n: int = 10) -> list[Title]:
    """Titles like ``title``: nearest by item factors, or popular titles sharing a genre when the
    model does not know it."""
    from .serving import current_model

    model = current_model()
    neighbours = model.similar(title.pk, n + 10) if model is not None else []
    if neighbours:
        found = title_summaries([title_id for title_id, _ in neighbours])
        return [found[title_id] for title_id, _ in neighbours if title_id in found][:n]
    genre_ids = list(title.genres.values_list("id", flat=True))
    if not genre_ids:
        return []
    same_genre = active_titles().filter(genres__in=genre_ids).exclude(pk=title.pk).values_list("pk", flat=True).distinct()
    return [t for t, _ in popular_titles(n, filters=TitleFilters(), only_ids=list(same_genre))]


@dataclass(frozen=True)
class TitleOutlook:
    """What the title page says for one user: the stars predicted for the title (None once they have
    rated it, or without a model), the liked title it most resembles, and similar titles' stars."""

    predicted: float | None
    because: Because | None
    similar_predicted: dict[int, float]


def title_outlook(user, title: Title, rated: bool, similar_ids: list[int]) -> TitleOutlook:
    """``TitleOutlook`` of ``title`` for ``user``, from one read of their ratings."""
    from catalog.discovery import predictions

    model, scores = personal_model(user)
    similar_predicted = predictions(model, scores, similar_ids)
    if rated or model is None:
        return TitleOutlook(None, None, similar_predicted)
    return TitleOutlook(predicted_rating(model, scores, title), explanations(model, [title.pk], scores).get(title.pk), similar_predicted)


def predicted_rating(model, scores: dict[int, float], title: Title) -> float | None:
    """The serving ``model``'s predicted rating of ``title`` for a user with these ``scores``; None
    when it cannot say."""
    if model is None:
        return None
    predicted = model.predict_one(scores, title.pk)
    return None if predicted is None else round(predicted, 2)
