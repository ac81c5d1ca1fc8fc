"""Title search that forgives typos ("godfater" finds The Godfather): the one function behind the
browse page, the API's ``search`` and the recommendation filters (``selectors.filter_titles``).

A title matches when its name contains the text, or has words close to the text's words:
- PostgreSQL: pg_trgm word similarity (``name %> text``: the text is close to some run of words in
  the name, at least ``pg_trgm.word_similarity_threshold``, 0.6 by default), served by the GIN
  trigram index of migration 0004_i17_title_trigram;
- SQLite (the embedded default): each word of the text against the distinct words of the catalog's
  names with ``difflib`` (ratio at least ``NEAR_WORD_RATIO``); a name matches when every word of
  the text is close to one of its words.
Each match is annotated ``search_rank``: 1.0 when the name contains the text, else its similarity.
``selectors.TITLE_ORDERINGS["relevance"]`` orders by it, then by popularity (number of ratings).
"""
import difflib
import re

from django.db import connection
from django.db.models import Case, FloatField, Q, QuerySet, Value, When

# difflib ratio a word of a name needs to count as a near match of a word of the text
# ("godfater" / "godfather" 0.94, "matrx" / "matrix" 0.91, "star" / "stay" 0.75).
NEAR_WORD_RATIO = 0.8
# Near (not containing) matches kept on SQLite, best first.
NEAR_MATCHES = 50
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def matching(queryset: QuerySet, text: str, trigram: bool | None = None) -> QuerySet:
    """``queryset`` narrowed to the titles matching ``text``, annotated with ``search_rank``;
    ``trigram``: pg_trgm (default: on PostgreSQL) or the difflib comparison."""
    text = " ".join(text.split())
    if not text:
        return queryset
    contains = Q(name__icontains=text)
    if connection.vendor == "postgresql" if trigram is None else trigram:
        from django.contrib.postgres.search import TrigramWordSimilarity

        rank = Case(When(contains, then=Value(1.0)), default=TrigramWordSimilarity(text, "name"), output_field=FloatField())
        return queryset.annotate(search_rank=rank).filter(contains | Q(name__trigram_word_similar=text))
    near = near_matches(queryset.exclude(contains), text)
    whens = [When(pk=pk, then=Value(score)) for pk, score in near.items()]
    rank = Case(When(contains, then=Value(1.0)), *whens, default=Value(0.0), output_field=FloatField())
    return queryset.annotate(search_rank=rank).filter(contains | Q(pk__in=list(near)))


def near_matches(queryset: QuerySet, text: str) -> dict[int, float]:
    """(title id -> similarity) of the best ``NEAR_MATCHES`` titles of ``queryset`` whose words are
    close to every word of ``text``: the mean of each text word's best difflib ratio."""
    wanted = words(text)
    if not wanted:
        return {}
    names = list(queryset.values_list("pk", "name"))
    vocabulary = {word for _, name in names for word in words(name)}
    # For each word of the text, the catalog's words close to it and how close.
    close = []
    for word in wanted:
        candidates = difflib.get_close_matches(word, vocabulary, n=25, cutoff=NEAR_WORD_RATIO)
        close.append({candidate: difflib.SequenceMatcher(None, word, candidate).ratio() for candidate in candidates})
    scores = {}
    for pk, name in names:
        own = set(words(name))
        best = [max((ratio for candidate, ratio in near.items() if candidate in own), default=0.0) for near in close]
        if min(best) > 0:
            scores[pk] = sum(best) / len(best)
    return dict(sorted(scores.items(), key=lambda item: -item[1])[:NEAR_MATCHES])
