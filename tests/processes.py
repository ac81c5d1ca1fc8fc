"""Real processes for the worker and fault-drill tests: a private redis-server and Celery workers.

The shared Redis on the default port is never stopped: drills that take the broker down start
their own redis-server on a free port (no persistence) and stop or restart that one.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (returned) or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def database_url() -> str:
    """The test database, for a process of its own (the test must use a transactional db)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a worker process shares the test database: run this test on PostgreSQL")
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own on a free port, that can be stopped and started again."""

    def __init__(self, log_path: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def start(self) -> "RedisServer":
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for(self.ping, 15, f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        wait_for(lambda: not self.ping(), 10, f"redis-server on port {self.port} to stop")


class WorkerProcess:
    """``celery worker --pool=solo`` in a process of its own, on the test database and ``broker_url``.

    Its default queue is a fresh name (so it only takes what this test sends) unless ``queue`` is
    given, e.g. the site's default queue on a private redis-server."""

    def __init__(self, broker_url: str, model_dir: Path, log_path: Path, extra_env: dict | None = None, queue: str | None = None):
        self.broker_url = broker_url
        self.queue = queue or f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_QUEUE": self.queue,
            "STREAMREC_MODEL_DIR": str(model_dir),
            "DJANGO_SETTINGS_MODULE": "streamrec.settings",
            **(extra_env or {}),
        }
        self.log = open(log_path, "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "streamrec", "worker", "--pool=solo", "--loglevel=info",
             "-Q", self.queue, "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self.log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: " ready." in self.output() or self.process.poll() is not None, timeout, "the worker to start")
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, as in an out-of-memory kill or a lost machine."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        print(f"--- worker {self.queue} log (tail) ---\n{self.output()[-4000:]}")
        self.log.close()
