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
    # External identifiers: each is unique when present, so imports can match on them.
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    imdb_id = models.CharField(max_length=16, null=True, blank=True, unique=True)
    is_active = models.BooleanField(default=True, db_index=True)
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
