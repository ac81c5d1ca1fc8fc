"""What flows between the pipeline's stages (``recommender.pipeline``)."""
from dataclasses import dataclass, field

from catalog.models import Title
from catalog.selectors import TitleFilters

# Only titles the user liked explain a recommendation ("because you rated X 4.5").
LIKED_SCORE = 4.0


@dataclass(frozen=True)
class History:
    """What a user has told us: their ratings (title id -> stars; a title they watched but did not
    rate counts with the stars its viewing reads as, ``ratings.watching``), the titles they hid, and
    where they set the popular (0) <-> lesser-known (1) dial (None: not set). ``watched``: the
    titles among ``ratings`` known from watching, not rated."""

    ratings: dict[int, float] = field(default_factory=dict)
    dismissed: frozenset[int] = frozenset()
    novelty: float | None = None
    watched: frozenset[int] = frozenset()

    @property
    def rating_count(self) -> int:
        return len(self.ratings)

    def liked_ids(self) -> list[int]:
        return [title_id for title_id, score in self.ratings.items() if score >= LIKED_SCORE]

    def seen_ids(self) -> set[int]:
        """Titles never to recommend: rated or hidden."""
        return set(self.ratings) | self.dismissed


@dataclass(frozen=True)
class RecommendationRequest:
    """One call of the pipeline: whose list (``user_id``, whose history is looked up, or a
    ``history`` given as it is: offline evaluation, a model checked before it serves), how many
    titles and within which catalog filters."""

    user_id: int | None = None
    history: History | None = None
    n: int = 10
    filters: TitleFilters = TitleFilters()
    # The popular <-> lesser-known dial for this request, 0..1 (None: the user's own setting, else
    # the reranker's default).
    novelty: float | None = None

    def config(self) -> tuple:
        """What the answer depends on besides the history, the model and the catalog: part of its
        cache key."""
        return (self.n, self.filters, self.novelty)


@dataclass(frozen=True)
class ScoredTitle:
    """A candidate with the stars predicted for the user (the damped average for popular picks),
    and the model's order score that ranked it (None for popular picks)."""

    title_id: int
    predicted: float
    personalized: bool
    order: float | None = None


@dataclass(frozen=True)
class Because:
    """The liked title (and the user's rating of it, or that they finished it: ``watched``) that
    added most to a recommendation's score."""

    title: Title
    score: float
    watched: bool = False

    def __str__(self) -> str:
        if self.watched:
            return f"Because you watched {self.title.name}"
        return f"Because you rated {self.title.name} {self.score:g}"


@dataclass(frozen=True)
class Taste:
    """When no liked title stands out: a genre of the recommendation that the user's liked titles
    share, and how many of them have it (true of every title it is said of)."""

    genre: str
    liked: int

    def __str__(self) -> str:
        titles = "a title" if self.liked == 1 else f"{self.liked} titles"
        return f"{self.genre}, like {titles} you rated {LIKED_SCORE:g} or more"


@dataclass(frozen=True)
class Recommendation:
    title: Title
    predicted_rating: float
    personalized: bool
    because: Because | None = None
    taste: Taste | None = None

    @property
    def explanation(self) -> str:
        """Why this title is recommended, in one sentence."""
        if self.because is not None:
            return str(self.because)
        if self.taste is not None:
            return str(self.taste)
        if self.personalized:
            return f"Predicted {self.predicted_rating:g} stars for you from your ratings"
        if not self.predicted_rating:  # PopularityScorer's unrated titles on a person's services
            return "On your services; nobody on StreamRec has rated it yet"
        return "Popular with StreamRec viewers; rate a few titles for personal picks"
