"""What watching a title says about a person's taste: the one rule the site and the recommender use.

A viewing (``ratings.models.Viewing``, made from the user's watch events) ends in one of three
outcomes:

- **finished**: the user reached ``FINISHED_SHARE`` (90 %) of the title, or their player reported
  ``finish``: positive implicit feedback, read by the recommender as ``SCORES["finished"]`` stars;
- **abandoned**: they stopped before ``ABANDONED_SHARE`` (20 %) and did not resume within
  ``RESUME_WINDOW`` (a week): negative feedback, ``SCORES["abandoned"]`` stars (the scheduled task
  ``ratings.tasks.mark_abandoned_viewings`` marks them once the week has passed);
- **watching**: anything else so far; they chose to watch it, a mild positive, ``SCORES["watching"]``.

The stars are what the recommender folds in as if the user had rated the title (a real rating of the
same title always wins), so watch activity moves every list and counts towards the ratings a user
needs for personal recommendations. Dissatisfaction shows in low watch time (the hackathon team's
finding this product builds on), which is why an early stop counts against a title.
"""
from datetime import datetime, timedelta

FINISHED_SHARE = 0.9
ABANDONED_SHARE = 0.2
RESUME_WINDOW = timedelta(days=7)

FINISHED, ABANDONED, WATCHING = "finished", "abandoned", "watching"
SCORES = {FINISHED: 4.0, WATCHING: 3.0, ABANDONED: 1.5}


def counts_as_finished(event: str, position_seconds: int, duration_seconds: int) -> bool:
    """Whether one event says the user finished the title."""
    return event == "finish" or position_seconds >= FINISHED_SHARE * duration_seconds


def outcome(*, finished: bool, position_seconds: int, duration_seconds: int, last_event_at: datetime,
            now: datetime) -> str:
    """The outcome of a viewing as of ``now``."""
    if finished:
        return FINISHED
    if position_seconds < ABANDONED_SHARE * duration_seconds and now - last_event_at >= RESUME_WINDOW:
        return ABANDONED
    return WATCHING


def implicit_score(viewing_outcome: str) -> float:
    """The stars the recommender reads for a viewing that ended in ``viewing_outcome``."""
    return SCORES[viewing_outcome]
