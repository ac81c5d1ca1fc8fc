"""Pure text helpers: normalised match keys, MovieLens titles, list fields, dates, durations."""
import re
import unicodedata
from datetime import date, datetime

# Articles that IMDB-style titles move to the end: "Matrix, The", "Misérables, Les", "Dolce vita, La".
_TRAILING_ARTICLE = re.compile(
    r"^(?P<rest>.+?),\s*(?P<article>the|a|an|les|la|le|l'|il|lo|el|los|las|die|der|das|den|det|de|het|een|ein|eine|os|as|o|i)$",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[\W_]+")  # keeps letters of every script
_YEAR_SUFFIX = re.compile(r"^(?P<name>.*?)\s*\((?P<year>\d{4})(?:[–-]\d{0,4})?\)\s*$")
_AKA = re.compile(r"^(?P<main>.+?)\s+\((?:a\.k\.a\.\s*)?(?P<aka>[^()]+)\)$")


def fold(text: str) -> str:
    """Lower case without accents: 'Misérables' -> 'miserables'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def title_key(name: str) -> str:
    """The key two spellings of one title share: 'Matrix, The' and 'The Matrix' -> 'the matrix'."""
    text = " ".join(name.split())
    match = _TRAILING_ARTICLE.match(text)
    if match:
        article = match["article"]
        text = f"{article}{'' if article.endswith(chr(39)) else ' '}{match['rest']}"
    text = fold(text).replace("&", " and ")
    return _NON_WORD.sub(" ", text).strip()


def title_keys(name: str) -> list[str]:
    """The main key, plus the key of an alternative title in parentheses (MovieLens 'Name (Aka)')."""
    keys = [title_key(name)]
    match = _AKA.match(" ".join(name.split()))
    if match:
        parts = [match["main"]] + ([match["aka"]] if len(match["aka"].split()) > 1 else [])
        for part in parts:
            key = title_key(part)
            if key and key not in keys:
                keys.append(key)
    return [key for key in keys if key]


def natural_title(name: str) -> str:
    """The title as people write it: 'Matrix, The' -> 'The Matrix', and the same before an
    alternative title: 'City of Lost Children, The (Cité des enfants perdus, La)' ->
    'The City of Lost Children (Cité des enfants perdus, La)'."""
    text = " ".join(name.split())
    aka = _AKA.match(text)
    main = aka["main"] if aka else text
    match = _TRAILING_ARTICLE.match(main)
    if not match:
        return text
    article = match["article"]
    return f"{article}{'' if article.endswith(chr(39)) else ' '}{match['rest']}{text[len(main):]}"


def split_movielens_title(raw: str) -> tuple[str, int | None]:
    """'Matrix, The (1999)' -> ('The Matrix', 1999); a title without a year keeps its text."""
    text = raw.strip()
    match = _YEAR_SUFFIX.match(text)
    if match and match["name"]:
        return natural_title(match["name"].strip()), int(match["year"])
    return natural_title(text), None


def split_list(value: str, sep: str = ",") -> tuple[str, ...]:
    """'a, b,, a ' -> ('a', 'b'): trimmed, without blanks or repeats, in order."""
    seen: dict[str, None] = {}
    for item in value.split(sep):
        item = " ".join(item.split())
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def parse_long_date(value: str) -> date | None:
    """'September 25, 2021' (also with stray spaces) -> date; '' -> None; anything else raises ValueError."""
    text = " ".join(value.split())
    if not text:
        return None
    return datetime.strptime(text, "%B %d, %Y").date()


def parse_iso_date(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    return date.fromisoformat(text)


_MINUTES = re.compile(r"^(\d{1,4})\s*min$", re.IGNORECASE)
_SEASONS = re.compile(r"^(\d{1,3})\s*seasons?$", re.IGNORECASE)


def parse_minutes(value: str) -> int | None:
    match = _MINUTES.match(value.strip())
    return int(match.group(1)) if match else None


def parse_seasons(value: str) -> int | None:
    match = _SEASONS.match(value.strip())
    return int(match.group(1)) if match else None
