"""Health of the service: database, Celery broker and the serving model version."""
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class ModelCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="false only means no model serves yet: popular titles are shown")
    detail = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
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


def check_model() -> dict:
    from recommender.selectors import serving_version

    try:
        version = serving_version()
    except Exception as error:
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300], "version": None, "algorithm": None, "rmse": None, "activated_at": None}
    if version is None:
        return {"ok": False, "detail": "no model version serves yet", "version": None, "algorithm": None, "rmse": None, "activated_at": None}
    return {
        "ok": True, "detail": "serving", "version": version.pk, "algorithm": version.algorithm,
        "rmse": version.rmse, "activated_at": version.activated_at,
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
        model = check_model() if database["ok"] else {"ok": False, "detail": "database unavailable", "version": None, "algorithm": None, "rmse": None, "activated_at": None}
        healthy = database["ok"] and broker["ok"]
        body = {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker, "model": model}
        return Response(HealthSerializer(body).data, status=200 if healthy else 503)
