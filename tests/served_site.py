"""The site as `make run` sets it up and serves it, in processes of its own, for the tests of a
newcomer's first minutes (tests/test_no_compile_at_request.py, tests/test_browser.py).

Set-up: ``scripts/run.sh --setup-only`` (migrate, collectstatic, load_demo, train) on a fresh SQLite
database, model folder and ``NUMBA_CACHE_DIR``, once per test session. Each test then starts its
own gunicorn (``streamrec.gunicorn_conf``, DEBUG off, STREAMREC_LOCAL_HTTP=1) on a free port.

A numba kernel that compiles writes its machine code to ``NUMBA_CACHE_DIR`` (every kernel is
``cache=True``); one that is loaded from there writes nothing. So "no kernel compiled while the
server ran" is "the cache folder is as the set-up left it" (``NumbaCache.changes``).
"""
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .processes import REPO, free_port, wait_for

SET_UP_SECONDS = 1500  # a clean machine needs about 3 minutes; a busy one much more


def site_env(root: Path) -> dict:
    """`make run`'s environment on the database, model folder and numba cache under ``root``:
    nothing inherited from the test run (no Redis cache, no broker, no PostgreSQL)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "STREAMREC_", "NUMBA_", "CELERY_", "TEST_")) and key != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "STREAMREC_MODEL_DIR": str(root / "models"),
        "NUMBA_CACHE_DIR": str(root / "numba-cache"),
        "DJANGO_SECRET_KEY_FILE": str(root / "secret_key"),
        "DJANGO_SETTINGS_MODULE": "streamrec.settings",
        "STREAMREC_SETUP_LOG": str(root / "setup.log"),
    })
    return env


class NumbaCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self.files = self.snapshot()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        return {str(p.relative_to(self.folder)): (p.stat().st_mtime_ns, p.stat().st_size)
                for p in self.folder.rglob("*") if p.is_file()}

    def changes(self) -> list[str]:
        """Files written since the set-up: a kernel compiled."""
        now = self.snapshot()
        return sorted(name for name, stamp in now.items() if self.files.get(name) != stamp)

    def kernels(self) -> set[str]:
        """Kernels in the cache, as module.function (from the index files' names)."""
        return {Path(name).name.split("-")[0] for name in self.files if name.endswith(".nbi")}


class SetUpSite:
    def __init__(self, root: Path, output: str, seconds: float):
        self.root, self.output, self.seconds = root, output, seconds
        self.env = site_env(root)
        self.numba = NumbaCache(root / "numba-cache")


class Server:
    """gunicorn serving ``site`` on a free port, as `make run` starts it."""

    def __init__(self, site: SetUpSite, name: str):
        self.site = site
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = site.root / f"{name}.log"
        self.process = None

    def ping(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v1/ping/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def __enter__(self) -> "Server":
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "gunicorn"), "streamrec.wsgi", "-c", "python:streamrec.gunicorn_conf",
                 "--bind", f"127.0.0.1:{self.port}"],
                cwd=REPO, env={**self.site.env, "DJANGO_DEBUG": "0", "STREAMREC_LOCAL_HTTP": "1", "WEB_CONCURRENCY": "2"},
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for(lambda: self.process.poll() is not None or self.ping(), 300, f"gunicorn on port {self.port}", interval=0.5)
        assert self.process.poll() is None, self.log_path.read_text()[-3000:]
        # Both workers warm (each logs it) before the walk: a request never waits for a warm-up.
        wait_for(lambda: self.log_path.read_text().count("warm: model") >= 2, 300, "both gunicorn workers warm", interval=0.5)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture(scope="session")
def set_up_site(tmp_path_factory):
    """The demo site set up by `make run`'s own steps from nothing, with a fresh numba cache."""
    root = tmp_path_factory.mktemp("served-site")
    started = time.monotonic()
    done = subprocess.run(["bash", "scripts/run.sh", "--setup-only"], cwd=REPO, env=site_env(root),
                          capture_output=True, text=True, timeout=SET_UP_SECONDS)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return SetUpSite(root, output, time.monotonic() - started)
