"""Writes an ml-latest-shaped dump (movies.csv, links.csv, ratings.csv, tags.csv, and optionally
genome-tags.csv / genome-scores.csv) for the import benches: ../shared/datasets holds no ml-latest
dump, so one is derived from the real files that are there.

- movies.csv / links.csv: one MovieLens movie per valid record of the TMDB sample, with the TMDB
  and IMDb ids in links.csv, named the MovieLens way ("Matrix, The (1999)") and, as in the real
  dumps, not always as TMDB names it: every 7th keeps its original title in parentheses, every
  11th has a subtitle TMDB lacks, every 13th is dated a year later (a re-release).
- ratings.csv: the first ``--ratings`` ML-1M ratings (users kept, movies mapped onto the movies
  above, every third score moved half a star down: ml-latest has half stars).
- tags.csv: tags in mixed case and spacing by those users.

    .venv/bin/python bench/mllatest_dump.py OUT_DIR [--ratings 100836] [--tags 3683] [--genome 20]
"""
import argparse
import ast
import csv
import os
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = re.compile(r"^(The|A|An) (.+)$")
TAGS = ["Dark comedy", "twist ending", "atmospheric", "visually appealing", "based on a book", "funny", "thought-provoking",
        "classic", "Quentin Tarantino", "sci-fi", "time travel", "dystopia", "heist", "slow burn", "musical", "surreal"]


def datasets_dir() -> Path:
    return Path(os.environ.get("STREAMREC_DATASETS_DIR", ROOT.parent / "shared" / "datasets"))


def tmdb_movies(path: Path) -> list[dict]:
    """Valid records of a TMDB movies_metadata file: id, imdb id, title, original title, year, genres."""
    movies, seen = [], set()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if None in row or not (row.get("id") or "").isdigit() or not (row.get("title") or "").strip():
                continue
            date, imdb = row["release_date"].strip(), row["imdb_id"].strip()
            if len(date) != 10 or not re.fullmatch(r"tt\d{7,8}", imdb) or row["id"] in seen:
                continue
            seen.add(row["id"])
            try:
                genres = [g["name"] for g in ast.literal_eval(row["genres"] or "[]")]
            except (ValueError, SyntaxError):
                genres = []
            movies.append({"tmdb": int(row["id"]), "imdb": imdb[2:], "title": " ".join(row["title"].split()),
                           "original": " ".join(row["original_title"].split()), "year": int(date[:4]), "genres": genres})
    return movies


def movielens_name(movie: dict, number: int) -> str:
    name, year = movie["title"], movie["year"]
    match = ARTICLE.match(name)
    if match:
        name = f"{match[2]}, {match[1]}"
    if number % 7 == 0 and movie["original"] and movie["original"] != movie["title"]:
        name = f"{name} ({movie['original']})"
    if number % 11 == 0:
        name = f"{name}: The Director's Cut"
    if number % 13 == 0:
        year += 1
    return f"{name} ({year})"


def write(out: Path, ratings: int, tags: int, genome: int) -> dict[str, int]:
    data = datasets_dir()
    movies = tmdb_movies(data / "tmdb" / "movies_metadata_sample.csv")
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    with (out / "movies.csv").open("w", newline="", encoding="utf-8") as m, (out / "links.csv").open("w", newline="", encoding="utf-8") as l:
        movies_csv, links_csv = csv.writer(m, lineterminator="\n"), csv.writer(l, lineterminator="\n")
        movies_csv.writerow(["movieId", "title", "genres"])
        links_csv.writerow(["movieId", "imdbId", "tmdbId"])
        for number, movie in enumerate(movies, start=1):
            movies_csv.writerow([number, movielens_name(movie, number), "|".join(movie["genres"]) or "(no genres listed)"])
            links_csv.writerow([number, movie["imdb"], movie["tmdb"]])
    counts["movies.csv"] = counts["links.csv"] = len(movies)
    users, pairs = set(), set()
    with (data / "movielens-1m" / "ratings_partial_users_1-2999.dat").open(encoding="latin-1") as source, \
            (out / "ratings.csv").open("w", newline="", encoding="utf-8") as r:
        writer = csv.writer(r, lineterminator="\n")
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for number, line in enumerate(source):
            if len(pairs) >= ratings:
                break
            user, movie, score, ts = line.rstrip("\n").split("::")
            movie = int(movie) % len(movies) + 1
            if (user, movie) in pairs:  # two ML-1M movies mapped onto one: one rating per person and movie
                continue
            pairs.add((user, movie))
            score = float(score) - (0.5 if number % 3 == 0 and score != "1" else 0)
            users.add(int(user))
            writer.writerow([user, movie, f"{score:.1f}", ts])
    counts["ratings.csv"] = len(pairs)
    rng = random.Random(18)
    users = sorted(users)
    with (out / "tags.csv").open("w", newline="", encoding="utf-8") as t:
        writer = csv.writer(t, lineterminator="\n")
        writer.writerow(["userId", "movieId", "tag", "timestamp"])
        for _ in range(tags):
            tag = rng.choice(TAGS)
            tag = rng.choice([tag, tag.lower(), tag.upper(), f" {tag}  "])
            writer.writerow([rng.choice(users), rng.randint(1, len(movies)), tag, 1_500_000_000 + rng.randint(0, 10**8)])
    counts["tags.csv"] = tags
    if genome:
        with (out / "genome-tags.csv").open("w", newline="", encoding="utf-8") as g:
            writer = csv.writer(g, lineterminator="\n")
            writer.writerow(["tagId", "tag"])
            for number, tag in enumerate(TAGS[:genome], start=1):
                writer.writerow([number, tag.lower()])
        with (out / "genome-scores.csv").open("w", newline="", encoding="utf-8") as g:
            writer = csv.writer(g, lineterminator="\n")
            writer.writerow(["movieId", "tagId", "relevance"])
            for movie in range(1, len(movies) + 1):
                for tag in range(1, min(genome, len(TAGS)) + 1):
                    writer.writerow([movie, tag, f"{rng.random():.5f}"])
        counts["genome-tags.csv"] = min(genome, len(TAGS))
        counts["genome-scores.csv"] = len(movies) * min(genome, len(TAGS))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--ratings", type=int, default=100_836, help="as many as ml-latest-small has")
    parser.add_argument("--tags", type=int, default=3_683, help="as many as ml-latest-small has")
    parser.add_argument("--genome", type=int, default=0, help="genome tags (0: no genome files)")
    args = parser.parse_args()
    for name, rows in write(args.out, args.ratings, args.tags, args.genome).items():
        print(f"{args.out / name}: {rows} rows")


if __name__ == "__main__":
    main()
