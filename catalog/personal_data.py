"""This app's part of a person's data export (``ratings.personal_data``): their streaming services
and the tags they put on titles."""
from .models import StreamingServices, TagApplication

EXPORTED = {"catalog.StreamingServices": "services", "catalog.TagApplication": "tags"}


def personal_data_part(user) -> dict:
    services = StreamingServices.objects.filter(user=user).prefetch_related("platforms").first()
    return {
        "services": {
            "platforms": sorted(p.slug for p in services.platforms.all()) if services else [],
            "everything": services.everything if services else False,
        },
        "tags": [
            {"title_id": a.title_id, "title": a.title.name, "tag": a.tag.name, "applied_at": a.applied_at.isoformat()}
            for a in TagApplication.objects.filter(user=user).select_related("title", "tag").order_by("applied_at", "pk")
        ],
    }
