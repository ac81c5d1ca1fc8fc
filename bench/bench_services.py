"""Per-request cost of keeping lists to a person's services (issue 19), measured in-process through
Django's test client against a database where platform catalogs are imported.

Ours: the request with the person's services applied (``services=mine`` on the API, the pages'
default once services are chosen). Reference in the same run: the same request over every platform
(``services=all``; on the pages, the switch on everything). Requests alternate, so both see the same
machine. Three paths:

- ``hit``: the API's recommendations from the shared cache (the services are read from the database
  on every request: one query more);
- ``miss``: the same with the user's revision moved before each request (the whole pipeline runs:
  candidates within the services, scoring, reranking, explanation);
- pages: browse (``/titles/``) and the home page, each rendered in full.

    DATABASE_URL=postgres://.../streamrec STREAMREC_CACHE_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/bench_services.py [--rounds 200] [--platform netflix]

The database needs a serving model and imported platform catalogs (README, "Importing a platform
catalog"); the bench adds one account, ``bench-services``, with 20 ratings of popular titles.
"""
import os
import sys
from pathlib import Path

# As in every StreamRec process (streamrec/__init__.py): single-threaded BLAS for request-time scoring.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from catalog.models import Platform, Title  # noqa: E402
from catalog.services import set_services_everything, set_streaming_services  # noqa: E402
from ratings.models import Rating  # noqa: E402
from streamrec.cache import user_changed  # noqa: E402


def account(platform: str):
    user, _ = get_user_model().objects.get_or_create(username="bench-services")
    if user.ratings.count() < 20:
        popular = Title.objects.filter(is_active=True).annotate(n=Count("ratings")).order_by("-n", "pk")[:20]
        for index, title in enumerate(popular):
            Rating.objects.update_or_create(user=user, title=title, defaults={"score": [5.0, 4.0, 2.5, 4.5][index % 4]})
    set_streaming_services(user=user, slugs=[platform])
    return user


def timed_ms(case) -> float:
    """The time of ``case``'s request alone, after its preparation (a revision moved, the switch set)."""
    prepare, call = case
    prepare()
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="requests of each kind (pages: a quarter of it)")
    parser.add_argument("--platform", default="", help="the service chosen (default: the platform with fewest titles)")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    platforms = Platform.objects.annotate(n=Count("availabilities")).filter(n__gt=0).order_by("n")
    if not platforms:
        print("no platform catalog imported: see README, 'Importing a platform catalog'")
        return 2
    platform = args.platform or platforms[0].slug
    user = account(platform)
    client = Client()
    client.force_login(user)
    recs = "/api/v1/me/recommendations/"

    def api(services: str, miss: bool):
        return (lambda: user_changed(user.pk)) if miss else (lambda: None), lambda: client.get(recs, {"services": services})

    def page(path: str, everything: bool):
        # The switch moves the user's revision: both paths miss alike.
        return lambda: set_services_everything(user=user, everything=everything), lambda: client.get(path)

    cases = [
        ("API recommendations, cache hit", api("mine", False), api("all", False), args.rounds),
        ("API recommendations, cache miss", api("mine", True), api("all", True), args.rounds),
        ("browse /titles/", page("/titles/", False), page("/titles/", True), max(10, args.rounds // 4)),
        ("home page /", page("/", False), page("/", True), max(10, args.rounds // 4)),
    ]
    print(f"service: {platform} ({Platform.objects.get(slug=platform).availabilities.count()} titles of "
          f"{Title.objects.filter(is_active=True).count()} active); rounds as listed; ms per request")
    print("| path | rounds | services median | services p95 | everything median | everything p95 | ratio (median) |")
    print("|---|---|---|---|---|---|---|")
    for name, ours, reference, rounds in cases:
        for _ in range(3):  # warm-up: caches filled, code paths loaded
            timed_ms(ours), timed_ms(reference)
        mine, everything = [], []
        for _ in range(rounds):
            mine.append(timed_ms(ours))
            everything.append(timed_ms(reference))
        (m50, m95), (e50, e95) = summary(mine), summary(everything)
        print(f"| {name} | {rounds} | {m50:.2f} | {m95:.2f} | {e50:.2f} | {e95:.2f} | {m50 / e50:.2f} |")
    set_services_everything(user=user, everything=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
