"""Where a recommendation request's time goes, in-process: the floor's view, the recommendation
view, and each step of the latter, timed one after the other (median of ``--repeats`` calls after a
warm-up). ``bench/bench_load.py`` measures the same two endpoints through gunicorn, under load; this
says which step the difference is made of.

It reads the database the settings name (``DATABASE_URL``, else the SQLite file of ``make demo``),
which must hold ratings and a serving model, e.g. after ``make demo`` or
``bench/bench_load.py --keep-db`` (then ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/streamrec_load``).

    .venv/bin/python bench/bench_request_path.py [--repeats 300] [--min-ratings 40]
"""
import argparse
import dataclasses
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")
# Hundreds of calls a minute from one account: without this the user throttle answers 429 and the
# bench would time refusals (bench_load.py raises the rates the same way).
os.environ.setdefault("STREAMREC_THROTTLE_USER", "1000000/min")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402

from catalog.selectors import TitleFilters  # noqa: E402
from recommender import answers  # noqa: E402
from recommender.answers import recommendation_data  # noqa: E402
from recommender.api import recommendation_query  # noqa: E402
from recommender.selectors import (  # noqa: E402
    KEPT_RANKING_SIZE,
    kept_answer,
    personal_inputs,
    personal_top_n,
    ranked_with_reasons,
    recommend_for_user,
)
from recommender.serving import current_model  # noqa: E402
from streamrec.token_auth import user_for_token  # noqa: E402
from timing import timed  # noqa: E402


def select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def answered_from_memory(client: Client, inputs):
    """A recommendation request whose one query is answered from memory: what the query costs
    inside a request (timed alone it runs hot, with the database backend awake)."""
    def call():
        read = answers.personal_inputs
        answers.personal_inputs = lambda user: inputs
        try:
            client.get("/api/v1/me/recommendations/", secure=True)
        finally:
            answers.personal_inputs = read
    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--min-ratings", type=int, default=40, help="time a user with at least this many ratings")
    args = parser.parse_args()

    user = (get_user_model().objects.annotate(n=Count("ratings")).filter(n__gte=args.min_ratings).order_by("n", "pk").first())
    model = current_model()
    if user is None or model is None:
        raise SystemExit("needs ratings and a serving model: run `make demo` or bench/bench_load.py --keep-db first")
    key = Token.objects.get_or_create(user=user)[0].key
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST=os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",")[0])
    for path in ("/api/v1/ping/", "/api/v1/me/recommendations/"):
        status = client.get(path, secure=True).status_code
        if status != 200:
            raise SystemExit(f"{path}: status {status} (DJANGO_ALLOWED_HOSTS must name 127.0.0.1)")
    inputs = personal_inputs(user)  # the request above kept the user's ranking and answer
    scores, dismissed = inputs.scores, inputs.dismissed
    recommendations = recommend_for_user(user)
    data = [recommendation_data(item) for item in recommendations]

    rows = [
        ("floor: GET /api/v1/ping/ (whole request)", lambda: client.get("/api/v1/ping/", secure=True)),
        ("GET /api/v1/me/recommendations/ (whole request)", lambda: client.get("/api/v1/me/recommendations/", secure=True)),
        ("GET /api/v1/me/recommendations/ with its query answered from memory", answered_from_memory(client, inputs)),
        ("  one database round trip: SELECT 1", select_one),
        ("  token lookup in the database (kept per process after the first)", lambda: user_for_token(key)),
        ("  query parameters: none given (the defaults)", lambda: recommendation_query({})),
        ("  query parameters: n=10 (through the serializer)", lambda: recommendation_query({"n": "10"})),
        ("  the user's ratings, dismissals, kept ranking and answer (one query)", lambda: personal_inputs(user)),
        ("  is the kept answer current? (kept_answer, ratings hashed afresh)", lambda: kept_answer(model, dataclasses.replace(inputs))),
        ("  with no kept ranking: fold-in, scoring and explanations", lambda: ranked_with_reasons(model, scores, KEPT_RANKING_SIZE + len(dismissed))),
        ("  of which fold-in and scoring of every title", lambda: model.top_n(scores, KEPT_RANKING_SIZE + len(dismissed))),
        ("  without a current answer: picks, explanations, title summaries from the kept ranking", lambda: personal_top_n(model, user, inputs, 10, TitleFilters())),
        ("  recommend_for_user (the pages' path: ratings read, kept ranking, picks)", lambda: recommend_for_user(user)),
        ("  without a current answer: JSON", lambda: JSONRenderer().render([recommendation_data(item) for item in recommendations])),
    ]
    print(f"user {user.pk} with {len(scores)} ratings, {len(dismissed)} hidden; model v{model.version_id} over "
          f"{len(model.factors.title_ids):,} titles; {len(data)} recommendations; median of {args.repeats} calls")
    print("| step | p50 ms | / floor |\n|---|---:|---:|")
    floor = None
    for name, call in rows:
        ms = statistics.median(timed(call, args.repeats))
        floor = floor or ms
        print(f"| {name} | {ms:.3f} | {ms / floor:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
