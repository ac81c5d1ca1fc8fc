"""Reads of a person's streaming services ("my services") and of where a title streams. Writes are in
``catalog.services`` (``set_streaming_services``, ``set_services_everything``).

Lists keep to a person's services through ``TitleFilters.platforms``: the filters are part of every
kept list's key (``streamrec.cache``), and a change of services moves the user's revision too.
Availabilities carry no region: the imported platform catalogs are each one region's, so the site
treats all its data as one region (README, "My services").
"""
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import Max

from .models import Availability, Platform, StreamingServices, Title
from .selectors import TitleFilters

# "New on your services": titles added this many days before the newest addition (see ``new_window``).
NEW_DAYS = 30


@dataclass(frozen=True)
class MyServices:
    """The platforms a person chose (by name) and the lists' switch (``everything``)."""

    platforms: tuple[Platform, ...] = ()
    everything: bool = False
    slugs: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "slugs", tuple(sorted(p.slug for p in self.platforms)))

    @property
    def chosen(self) -> bool:
        return bool(self.platforms)

    @property
    def filtering(self) -> bool:
        """Whether the site's lists keep to the services now (chosen, and the switch not on everything)."""
        return self.chosen and not self.everything

    def filters(self, filters: TitleFilters = TitleFilters(), everything: bool | None = None) -> TitleFilters:
        """``filters`` kept to these services, unless the switch (or ``everything`` given) includes all."""
        everything = self.everything if everything is None else everything
        return replace(filters, platforms=self.slugs if self.chosen and not everything else ())


def services_of(user) -> MyServices:
    """``user``'s services, in one query (none for an anonymous visitor or a person who never chose)."""
    if not user.is_authenticated:
        return MyServices()
    # The switch and the platforms in one LEFT JOIN: every list request of a signed-in person reads it.
    fields = ("id", "slug", "name", "colour", "logo_url")
    rows = StreamingServices.objects.filter(user=user).values_list("everything", *(f"platforms__{f}" for f in fields))
    rows = list(rows.order_by("platforms__name"))
    if not rows:
        return MyServices()
    platforms = tuple(Platform(**dict(zip(fields, row[1:], strict=True))) for row in rows if row[1] is not None)
    return MyServices(platforms, rows[0][0])


def platform_data_exists() -> bool:
    """Whether any platform catalog has been imported (the embedded demo has none)."""
    return Availability.objects.exists()


def platforms_to_choose() -> list[Platform]:
    """The platforms a person can choose: those with titles, by name."""
    return list(Platform.objects.filter(availabilities__title__is_active=True).distinct().order_by("name"))


def where_to_watch(title: Title, services: MyServices) -> list[dict]:
    """Each platform ``title`` is on, the date it was added and whether it is one of ``services``:
    the person's own first, then by name."""
    mine = set(services.slugs)
    rows = Availability.objects.filter(title=title).select_related("platform").order_by("platform__name", "pk")
    seen, found = set(), []
    for row in rows:  # one entry per platform: a platform may list a title twice (two of its ids)
        if row.platform_id not in seen:
            seen.add(row.platform_id)
            found.append({"platform": row.platform, "date_added": row.date_added, "mine": row.platform.slug in mine})
    return sorted(found, key=lambda entry: not entry["mine"])


def new_window(slugs: tuple[str, ...], today: date | None = None) -> date | None:
    """The first day of "new on your services": ``NEW_DAYS`` before ``today``, or, without it, before
    the newest date any of ``slugs`` added an active title (the catalog's own today: imported catalogs
    end when they were exported, like the ratings' "popular now"). None when they added nothing."""
    if today is None:
        today = Availability.objects.filter(platform__slug__in=slugs, title__is_active=True).aggregate(newest=Max("date_added"))["newest"]
    return today - timedelta(days=NEW_DAYS) if today is not None else None
