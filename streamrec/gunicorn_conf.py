"""gunicorn's settings for `make run` and the Procfile's web process (``-c python:streamrec.gunicorn_conf``).

Each worker loads the serving model, and with it the compiled numba kernels from their disk cache,
before it accepts a request: the first visitor of a fresh worker does not wait for it.
"""
import logging
import os
import time

bind = os.environ.get("STREAMREC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("STREAMREC_WEB_THREADS", "4"))
accesslog = "-"
# Loading the model takes a few seconds on a busy machine: not a hung worker.
timeout = 60


def post_worker_init(worker):
    from django.conf import settings
    from django.db import connections
    from django.utils.module_loading import import_string

    started = time.monotonic()
    try:
        import_string(settings.PROCESS_WARM_UP)()
        worker.log.info("warm: model, compiled kernels and first-page lists loaded in %.1f s (worker %s)", time.monotonic() - started, worker.pid)
    except Exception:  # a worker that could not warm up still serves (popular titles, or loads on demand)
        logging.getLogger(__name__).exception("warm-up of worker %s failed", worker.pid)
    finally:
        connections.close_all()  # requests run in other threads, each with its own connection
