import os

# Request-time scoring is one small matrix-vector product per request: BLAS threads only add
# hand-off latency there and fight over the cores with the other web processes.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
