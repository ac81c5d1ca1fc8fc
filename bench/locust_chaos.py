"""Load of the chaos bench (bench/bench_chaos.py starts it): the load bench's three kinds of visitors
(bench/locustfile.py, unchanged tasks) with a log of their own, written at the end to
``DATA["chaos_output"]``:

- every request: when its answer (or its error) came (epoch seconds), its name, its status and whether it
  failed, so the bench counts errors per 5-second window around each fault;
- every rating write (API ``POST /api/v1/me/ratings/`` and the title page's form): account, title,
  score, when it was sent and whether the site acknowledged it (201/200, or the form's redirect back to
  the title page), so the bench checks the database against what the client was told.

Requests give up after 30 s, gunicorn's worker timeout (a hung request is an error, not a stall of the
run). Members rate more often than in the load bench (extra rating tasks), so the check has writes
around every fault.
"""
import json
import time
from urllib.parse import parse_qs, urlsplit

from locust import events, task

import locustfile as base

RATING_API = "/api/v1/me/ratings/ (POST)"
RATING_FORM = "/ratings/[id]/ (form POST)"
_requests: list[tuple[float, str, int, bool]] = []
_writes: list[dict] = []


def _rating_of(name: str, url: str, payload) -> tuple[int, float] | None:
    body = payload.decode() if isinstance(payload, bytes) else (payload or "")
    try:
        if name == RATING_API:
            sent = json.loads(body)
            return int(sent["title"]), float(sent["score"])
        return int(urlsplit(url).path.strip("/").split("/")[1]), float(parse_qs(body)["score"][0])
    except (ValueError, KeyError, IndexError):
        return None


@events.request.add_listener
def _log(request_type, name, response_time, response_length, exception=None, context=None, response=None, start_time=None, url=None, **_):
    started = start_time if start_time is not None else time.time() - response_time / 1000
    status = getattr(response, "status_code", 0) or 0
    _requests.append((started + response_time / 1000, f"{request_type} {name}", status, exception is not None))
    if name in (RATING_API, RATING_FORM) and context and "username" in context:
        request = getattr(response, "request", None)
        rating = _rating_of(name, url or "", getattr(request, "payload", None))
        if rating is None:
            return
        acknowledged = exception is None and (status in (200, 201) if name == RATING_API else status == 302)
        _writes.append({"username": context["username"], "title": rating[0], "score": rating[1], "sent": started,
                        "status": status, "acknowledged": acknowledged, "via": "api" if name == RATING_API else "form"})


@events.test_stop.add_listener
def _write_log(**_):
    with open(base.DATA["chaos_output"], "w") as out:
        json.dump({"requests": _requests, "writes": _writes}, out)


class Bounded:
    network_timeout = 30.0
    connection_timeout = 10.0

    def context(self) -> dict:
        credentials = getattr(self, "credentials", None)
        return {"username": credentials["username"]} if credentials else {}


class Visitor(Bounded, base.Visitor):
    pass


class WebMember(Bounded, base.WebMember):
    @task(2)
    def rate_more(self):
        self.rate_through_form()


class AppMember(Bounded, base.AppMember):
    @task(4)
    def rate_more(self):
        self.rate_api()
