"""The trivial JSON endpoint: proves a web process answers, touching neither the database nor the
broker. It is also the floor the load bench (bench/bench_load.py) measures other endpoints against."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    """``{"status": "ok"}``: no authentication, no throttling, no database."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        summary="Liveness: the web process answers (no database or broker check)",
        responses={200: inline_serializer("Ping", {"status": serializers.CharField()})},
        auth=[],
    )
    def get(self, request):
        return Response({"status": "ok"})
