"""Mixed workload for the load bench (bench/bench_load.py starts it; it is not meant to run alone).

Three kinds of visitors, all on one gunicorn over loopback:

- ``Visitor`` (anonymous): home page, catalog browse, search, title pages, the same through the API,
  and the trivial JSON endpoint ``/api/v1/ping/`` (the floor).
- ``WebMember`` (signed in through the login form, session cookie): home, browse, search, title pages,
  rating through the title page's form (CSRF token read from the page, plain form post answered by a
  redirect), the recommendations page, and the floor.
- ``AppMember`` (mobile app: token from ``/api/v1/auth/token/``): catalog and search through the API,
  rating through ``POST /api/v1/me/ratings/``, ``GET /api/v1/me/recommendations/`` and the floor.

Every request carries ``X-Forwarded-Proto: https``, as the TLS-terminating proxy in front of gunicorn
would send: production settings trust that header (``SECURE_PROXY_SSL_HEADER``), so there is no HTTPS
redirect and the secure session and CSRF cookies apply; the client's cookie policy sends those
``Secure`` cookies over loopback, as a browser does over its HTTPS leg. Form posts carry a same-origin
``Referer`` (Django checks it on HTTPS requests).

Input: ``STREAMREC_LOAD_DATA`` names a JSON file written by bench_load.py (accounts, title ids,
search terms, where to write raw timings). Every request's own time (ms, float) is written there at
the end of the test, so percentiles are exact rather than locust's rounded ones.
"""
import itertools
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy

from locust import FastHttpUser, between, events, task

DATA = json.loads(open(os.environ["STREAMREC_LOAD_DATA"]).read())
TITLE_IDS: list[int] = DATA["title_ids"]
SEARCH_TERMS: list[str] = DATA["search_terms"]
WAIT_MIN, WAIT_MAX = DATA.get("wait", [0.5, 2.5])
SCORES = [x / 2 for x in range(1, 11)]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HTTPS = {"X-Forwarded-Proto": "https"}

_next_account = itertools.count()
_samples: list[tuple[str, float, bool]] = []
_window: dict[str, float] = {}
_counters: dict[str, int] = {"recommendations_personalized": 0, "recommendations_popular": 0}


@events.test_start.add_listener
def _started(**_):
    _window["start"] = time.time()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_):
    _samples.append((f"{request_type} {name}", float(response_time), exception is not None))


@events.test_stop.add_listener
def _stopped(**_):
    _window["stop"] = time.time()
    with open(DATA["raw_output"], "w") as out:
        json.dump({"window": _window, "samples": _samples, "counters": _counters}, out)


def account() -> dict:
    accounts = DATA["accounts"]
    return accounts[next(_next_account) % len(accounts)]


def popular_title() -> int:
    # Popular titles are visited more: a skew towards the head of the list (sorted by rating count).
    return TITLE_IDS[min(int(random.expovariate(1 / 300)), len(TITLE_IDS) - 1)]


class BehindTLSProxy(DefaultCookiePolicy):
    """Send ``Secure`` cookies over the loopback connection: the client stands for a browser that
    talks HTTPS to the proxy, which forwards plain HTTP to gunicorn."""

    def return_ok_secure(self, cookie, request):
        return True


class Member(FastHttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    default_headers = HTTPS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client.cookiejar.set_policy(BehindTLSProxy())

    def get(self, path: str, name: str, **kwargs):
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            return response

    def ping(self):
        with self.client.get("/api/v1/ping/", name="/api/v1/ping/ (floor)", catch_response=True) as response:
            if response.status_code != 200 or response.text != '{"status":"ok"}':
                response.failure(f"status {response.status_code}: {response.text[:80]}")

    def browse(self):
        sort = random.choice(["popular", "popular", "newest", "average", "title"])
        page = random.choice([1, 1, 1, 2, 3, 4])
        self.get(f"/titles/?sort={sort}&page={page}", name="/titles/ (browse)")

    def search(self):
        self.get(f"/titles/?q={random.choice(SEARCH_TERMS)}", name="/titles/?q= (search)")

    def title_page(self, title_id: int | None = None):
        return self.get(f"/titles/{title_id or popular_title()}/", name="/titles/[id]/")

    def api_titles(self):
        self.get(f"/api/v1/titles/?page={random.choice([1, 1, 2, 3])}", name="/api/v1/titles/")

    def api_search(self):
        self.get(f"/api/v1/titles/?search={random.choice(SEARCH_TERMS)}", name="/api/v1/titles/?search=")

    def api_title(self):
        self.get(f"/api/v1/titles/{popular_title()}/", name="/api/v1/titles/[id]/")


class Visitor(Member):
    """Anonymous: the site and the public API."""

    weight = 3

    @task(2)
    def home(self):
        self.get("/", name="/ (home)")

    @task(3)
    def browse_catalog(self):
        self.browse()

    @task(2)
    def search_catalog(self):
        self.search()

    @task(4)
    def view_title(self):
        self.title_page()

    @task(2)
    def titles_api(self):
        self.api_titles()

    @task(1)
    def search_api(self):
        self.api_search()

    @task(2)
    def title_api(self):
        self.api_title()

    @task(3)
    def floor(self):
        self.ping()


class WebMember(Member):
    """Signed in through the login form; rates through the title page's form."""

    weight = 2

    def on_start(self):
        self.credentials = credentials = account()
        page = self.get("/accounts/login/", name="/accounts/login/")
        token = CSRF_INPUT.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={"username": credentials["username"], "password": credentials["password"], "csrfmiddlewaretoken": token, "next": "/"},
            headers={"Referer": f"{self.host.replace('http://', 'https://')}/accounts/login/"},
            name="/accounts/login/ (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused: status {response.status_code}")

    @task(2)
    def home(self):
        self.get("/", name="/ (home)")

    @task(2)
    def browse_catalog(self):
        self.browse()

    @task(1)
    def search_catalog(self):
        self.search()

    @task(2)
    def view_title(self):
        self.title_page()

    @task(2)
    def rate_through_form(self):
        title_id = popular_title()
        page = self.title_page(title_id)
        match = CSRF_INPUT.search(page.text or "")
        if match is None:
            return
        with self.client.post(
            f"/ratings/{title_id}/",
            data={"score": str(random.choice(SCORES)), "csrfmiddlewaretoken": match.group(1), "next": f"/titles/{title_id}/"},
            headers={"Referer": f"{self.host.replace('http://', 'https://')}/titles/{title_id}/"},
            name="/ratings/[id]/ (form POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or response.headers.get("Location") != f"/titles/{title_id}/":
                response.failure(f"status {response.status_code} to {response.headers.get('Location')}")

    @task(3)
    def recommendations_page(self):
        self.get("/recommendations/", name="/recommendations/")

    @task(2)
    def floor(self):
        self.ping()


class AppMember(Member):
    """The mobile app: token authentication, JSON only."""

    weight = 2

    def on_start(self):
        self.credentials = credentials = account()
        with self.client.post(
            "/api/v1/auth/token/", json={"username": credentials["username"], "password": credentials["password"]},
            name="/api/v1/auth/token/", catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"sign-in refused: status {response.status_code}")
                self.stop()
                return
            self.auth = {"Authorization": f"Token {response.json()['token']}"}

    @task(2)
    def titles_api(self):
        self.get(f"/api/v1/titles/?page={random.choice([1, 1, 2, 3])}", name="/api/v1/titles/", headers=self.auth)

    @task(1)
    def search_api(self):
        self.get(f"/api/v1/titles/?search={random.choice(SEARCH_TERMS)}", name="/api/v1/titles/?search=", headers=self.auth)

    @task(2)
    def title_api(self):
        self.get(f"/api/v1/titles/{popular_title()}/", name="/api/v1/titles/[id]/", headers=self.auth)

    @task(2)
    def rate_api(self):
        with self.client.post(
            "/api/v1/me/ratings/", json={"title": popular_title(), "score": random.choice(SCORES)},
            headers=self.auth, name="/api/v1/me/ratings/ (POST)", catch_response=True,
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"status {response.status_code}: {response.text[:120]}")

    @task(5)
    def recommendations_api(self):
        with self.client.get(
            "/api/v1/me/recommendations/", headers=self.auth, name="/api/v1/me/recommendations/", catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            items = response.json()
            if len(items) != 10:
                response.failure(f"{len(items)} recommendations")
                return
            _counters["recommendations_personalized" if items[0]["personalized"] else "recommendations_popular"] += 1

    @task(3)
    def floor(self):
        self.ping()
