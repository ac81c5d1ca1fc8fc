"""Celery application. Tasks live in each app's tasks.py and call service functions."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamrec.settings")

app = Celery("streamrec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
