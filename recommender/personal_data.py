"""This app's part of a person's data export (``ratings.personal_data``): the weekly digests mailed
to them."""
from .models import DigestDelivery

EXPORTED = {"recommender.DigestDelivery": "digests"}


def personal_data_part(user) -> dict:
    return {"digests": [
        {"week": d.week.isoformat(), "status": d.status, "titles": d.titles}
        for d in DigestDelivery.objects.filter(user=user).order_by("week")
    ]}
