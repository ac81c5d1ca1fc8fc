"""No numba kernel compiles inside a request: set-up (``scoring.warm_up``, run by ``manage.py
train`` and by every process that loads a model) compiles every signature that serving uses.

Checked twice: in a fresh interpreter (every signature serving calls was compiled by the warm-up),
and end to end: `make run`'s set-up from a fresh NUMBA_CACHE_DIR, then a new gunicorn process
walked through web sign-up and onboarding, the personal page, a title page and the API, after
which the numba cache must be exactly as the set-up left it."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .served_site import Server

CHECK = """
import json, django
django.setup()
import numpy as np
from recommender import algorithms, ranking, scoring
from recommender.serving import LoadedModel
from recommender.storage import FactorModel
from tests.test_algorithms import low_rank_ratings

def signatures():
    return {k.__name__: len(k.signatures) for k in (scoring.fold_in_rating, scoring.top_rows, ranking.fold_in)}

algo = algorithms.build(algorithms.PRODUCTION, **json.loads(PARAMS)).fit(low_rank_ratings().build_full_trainset())
model = LoadedModel.from_factors(1, FactorModel.from_algorithm(algo, reg=algo.reg_pu))  # set-up: warm_up
compiled = signatures()
scores = {1: 5.0, 2: 3.5, 3: 4.0, 7: 1.0}
model.top_n(scores, 10)
model.top_n(scores, 5, allowed_title_ids=np.array([4, 5, 6, 8]))
model.predict_all(scores)
model.predict_one(scores, 9)
print(json.dumps({"set_up": compiled, "after_requests": signatures()}))
"""


@pytest.mark.parametrize("params", [{}, {"ranking_factors": 0}, {"neighbour_factors": 0}])
def test_serving_a_fitted_model_uses_only_the_signatures_compiled_at_set_up(params):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "streamrec.settings", "PYTHONPATH": str(root)}
    script = CHECK.replace("PARAMS", repr(json.dumps(params)))
    result = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["after_requests"] == seen["set_up"]


PASSWORD = "a-Str0ng-password!"


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=60)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def walk_web(base: str, timings: dict) -> int:
    """Sign-up, onboarding (5 ratings), the personal page, a title page (rated there): returns that title's id."""
    web = requests.Session()
    token = csrf(web, base + "/accounts/signup/")
    signed_up = web.post(base + "/accounts/signup/", data={"csrfmiddlewaretoken": token, "username": "walker",
                                                           "password1": PASSWORD, "password2": PASSWORD}, timeout=60)
    assert signed_up.url.endswith("/recommendations/welcome/"), signed_up.url
    onboarding = signed_up.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', onboarding).group(1)
    title_ids = [int(x) for x in re.findall(r'class="card rate-card" data-title-id="(\d+)"', onboarding)][:5]
    assert len(title_ids) == 5
    for title_id, score in zip(title_ids, [5.0, 4.5, 4.0, 2.0, 1.5], strict=True):
        saved = web.post(f"{base}/ratings/{title_id}/", data={"csrfmiddlewaretoken": token, "score": score},
                         headers={"Accept": "application/json"}, timeout=60)
        assert saved.status_code == 200 and saved.json()["ok"], saved.text
    started = time.perf_counter()
    home = web.get(base + "/", timeout=60)
    timings["first personal page"] = time.perf_counter() - started
    assert home.status_code == 200 and "Top picks for you" in home.text
    picked = int(re.search(r'data-row="top".*?data-title-id="(\d+)"', home.text, re.S).group(1))
    started = time.perf_counter()
    page = web.get(f"{base}/titles/{picked}/", timeout=60)
    timings["title page"] = time.perf_counter() - started
    assert page.status_code == 200 and "We predict you would give it" in page.text
    rated = web.post(f"{base}/ratings/{picked}/", data={"csrfmiddlewaretoken": token, "score": 3.5},
                     headers={"Accept": "application/json"}, timeout=60)
    assert rated.json()["ok"]
    for path in ("/recommendations/", "/titles/?sort=predicted", "/recommendations/know-you/"):
        assert web.get(base + path, timeout=60).status_code == 200, path
    return picked


def walk_api(base: str, title_id: int, timings: dict) -> None:
    api = requests.Session()
    registered = api.post(base + "/api/v1/auth/register/", json={"username": "app-user", "password": PASSWORD}, timeout=60)
    assert registered.status_code == 201, registered.text
    api.headers["Authorization"] = f"Token {registered.json()['token']}"
    for title, score in zip(api.get(base + "/api/v1/titles/", timeout=60).json()["results"][:5], [5, 4, 3.5, 2, 4.5], strict=True):
        assert api.post(base + "/api/v1/me/ratings/", json={"title": title["id"], "score": score}, timeout=60).status_code in (200, 201)
    started = time.perf_counter()
    picks = api.get(base + "/api/v1/me/recommendations/", params={"n": 10}, timeout=60)
    timings["API recommendations"] = time.perf_counter() - started
    assert picks.status_code == 200 and any(p["personalized"] for p in picks.json())
    for path in (f"/api/v1/titles/{title_id}/", f"/api/v1/titles/{title_id}/similar/", f"/api/v1/titles/{title_id}/score/"):
        assert api.get(base + path, timeout=60).status_code == 200, path


@pytest.mark.slow
def test_a_fresh_server_compiles_no_kernel_on_any_path(set_up_site):
    cache = set_up_site.numba
    # The set-up compiled and cached the serving kernels (and the training ones).
    assert {"scoring.fold_in_rating", "scoring.top_rows", "ranking.fold_in"} <= cache.kernels(), sorted(cache.files)
    timings: dict[str, float] = {}
    with Server(set_up_site, "no-compile") as server:
        title_id = walk_web(server.url, timings)
        walk_api(server.url, title_id, timings)
        log = server.log()
    assert cache.changes() == [], f"kernels compiled while serving: {cache.changes()}"
    assert "Traceback" not in log, log[-3000:]
    print("\n" + " · ".join(f"{what} {seconds:.2f} s" for what, seconds in timings.items()))


@pytest.mark.slow
def test_the_cache_check_sees_a_compile(set_up_site, tmp_path):
    """The check above is not vacuous: a kernel called with a signature the set-up did not compile
    (a strided view, what once cost the first personal page 17 s) writes to the numba cache."""
    env = {**set_up_site.env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    script = ("import numpy as np; from recommender import ranking; q = np.ones((4, 6), dtype=np.float32)[:, :3]; "
              "ranking.fold_in(q, np.eye(3), np.array([0], dtype=np.int64), np.array([4.0]), 1.0)")
    before = set_up_site.numba.snapshot()
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=env["PYTHONPATH"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    after = set_up_site.numba.snapshot()
    assert after != before
    set_up_site.numba.files = after  # later checks start from here
