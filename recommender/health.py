"""Health of the service: database, Celery broker and the serving model version."""
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from recommender.selectors import serving_version
from recommender.serving import current_model


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class ModelCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="false means no model serves: popular titles are shown")
    detail = serializers.CharField()
    version = serializers.IntegerField(allow_null=True, help_text="the version recorded as serving")
    loaded_version = serializers.IntegerField(
        allow_null=True, help_text="the version this process serves (another one when the serving artifact is unreadable)")
    algorithm = serializers.CharField(allow_null=True)
    rmse = serializers.FloatField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = CheckSerializer()
    broker = CheckSerializer()
    model = ModelCheckSerializer()


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means unhealthy, never a 500
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}
    return {"ok": True, "detail": connection.vendor}


def check_broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "detail": "no broker configured: tasks run in-process"}
    from streamrec.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}
    return {"ok": True, "detail": "reachable"}


def no_model(detail: str) -> dict:
    return {"ok": False, "detail": detail, "version": None, "loaded_version": None, "algorithm": None,
            "rmse": None, "activated_at": None}


def check_model() -> dict:
    """The version recorded as serving, and the one this process actually serves: they differ when
    the serving artifact failed its checksum and an older version (or the popular list) stands in."""
    try:
        version = serving_version()
        loaded = current_model()
    except Exception as error:
        return no_model(f"{type(error).__name__}: {error}"[:300])
    if version is None:
        return no_model("no model version serves yet")
    loaded_version = loaded.version_id if loaded is not None else None
    if loaded_version == version.pk:
        detail = "serving"
    else:
        stand_in = f"v{loaded_version} serves instead" if loaded_version else "popular titles are shown"
        detail = f"v{version.pk}'s artifact cannot be read: {stand_in}"
    return {
        "ok": loaded is not None, "detail": detail, "version": version.pk, "loaded_version": loaded_version,
        "algorithm": version.algorithm, "rmse": version.rmse, "activated_at": version.activated_at,
    }


class HealthView(APIView):
    """200 when the database answers and the broker (if any) is reachable, else 503. Not throttled."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        summary="Service health",
        responses={200: HealthSerializer, 503: OpenApiResponse(HealthSerializer, description="database or broker down")},
        auth=[],
    )
    def get(self, request):
        database = check_database()
        broker = check_broker()
        model = check_model() if database["ok"] else no_model("database unavailable")
        healthy = database["ok"] and broker["ok"]
        body = {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker, "model": model}
        return Response(HealthSerializer(body).data, status=200 if healthy else 503)
