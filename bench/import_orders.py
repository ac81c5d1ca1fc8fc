"""A TMDB file and an ml-latest dump imported in both orders (issue 18): the same title count and
the same catalog compared as data, no links.csv row rejected for an id conflict, and how many
titles each order merged. Run by ``bench/bench_import.py --only orders``.
"""
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

PY = sys.executable
# Printed by ``manage.py shell -c`` after both imports: what the two orders must agree on.
FACTS = """
import hashlib, json
from django.db.models import Q, Sum
from catalog.models import ImportRun, RejectedRow, Title, TagApplication
from ratings.models import Rating
titles = sorted(Title.objects.values_list("kind", "name", "year", "movielens_id", "tmdb_id", "imdb_id", "description", "runtime_minutes"), key=repr)
ratings = sorted(Rating.objects.values_list("user__username", "title__tmdb_id", "title__movielens_id", "score"), key=repr)
tags = sorted(TagApplication.objects.values_list("user__username", "title__movielens_id", "tag__name"), key=repr)
conflicts = RejectedRow.objects.filter(run__role="links").filter(
    Q(reason__startswith="held for review") | Q(reason__contains="already belongs") | Q(reason__contains="already has")).count()
runs = ImportRun.objects.aggregate(merged=Sum("merged"), held=Sum("held"))
digest = lambda rows: hashlib.sha256(repr(rows).encode()).hexdigest()[:12]
print(json.dumps({"titles": len(titles), "ratings": len(ratings), "tags": len(tags), "link_conflicts": conflicts,
                  "merged": runs["merged"] or 0, "held": runs["held"] or 0,
                  "catalog": digest(titles), "ratings_digest": digest(ratings), "tags_digest": digest(tags)}))
"""


def fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def one_order(order, files, url: str, bench_env, measure) -> dict:
    env = bench_env(url)
    if url.startswith("postgres"):
        fresh_postgres(url)
    measure([PY, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"], env)
    seconds = 0.0
    for part in order:
        format, paths = files[part]
        took, _, out, _, _ = measure([PY, "manage.py", "import_catalog", "--skip-checks", format, *map(str, paths), "--no-progress"], env)
        seconds += took
    _, _, out, _, _ = measure([PY, "manage.py", "shell", "-c", FACTS], env)
    facts = json.loads(out.strip().splitlines()[-1])
    facts["seconds"] = seconds
    return facts


def compare_orders(tmdb_metadata: Path, dump: Path, pg_url: str, bench_env, measure) -> str:
    files = {
        "TMDB": ("tmdb", [tmdb_metadata]),
        "ml-latest": ("movielens", [dump / n for n in ("movies.csv", "links.csv", "ratings.csv", "tags.csv")]),
    }
    sqlite_file = Path(tempfile.mkdtemp(prefix="bench-orders-")) / "orders.sqlite3"
    databases = [("PostgreSQL", pg_url.rsplit("/", 1)[0] + "/streamrec_bench_orders"), ("SQLite", f"sqlite:///{sqlite_file}")]
    loads = [os.getloadavg()[0]]
    lines = [
        "| database | order | titles | ratings | tags | link rows rejected for id conflicts | titles merged | held for review | catalog digest | ratings digest | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    verdicts = []
    for database, url in databases:
        results = []
        for order in (("TMDB", "ml-latest"), ("ml-latest", "TMDB")):
            if url.startswith("sqlite"):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
            facts = one_order(order, files, url, bench_env, measure)
            results.append(facts)
            lines.append(
                f"| {database} | {' then '.join(order)} | {facts['titles']:,} | {facts['ratings']:,} | {facts['tags']:,} | "
                f"{facts['link_conflicts']} | {facts['merged']} | {facts['held']} | `{facts['catalog']}` | "
                f"`{facts['ratings_digest']}` | {facts['seconds']:.1f} |"
            )
            print(lines[-1], flush=True)
        same = all(results[0][k] == results[1][k] for k in ("titles", "catalog", "ratings_digest", "tags_digest"))
        verdicts.append(f"- {database}: the two orders give {'the same' if same else 'DIFFERENT'} catalog "
                        "(titles with their ids, names, years, descriptions and runtimes; ratings; tags, compared by digest).")
    loads.append(os.getloadavg()[0])
    return "\n".join([
        "### Import order: a TMDB file and an ml-latest dump, both ways",
        "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; 1-minute load average {loads[0]:.1f} at the start, "
        f"{loads[1]:.1f} at the end. Files: `tmdb/movies_metadata_sample.csv` and the ml-latest-shaped dump of "
        "`bench/mllatest_dump.py` (movies named as MovieLens names them: a subtitle TMDB lacks, an original "
        "title in parentheses, a year later), imported as two `import_catalog` commands on a fresh database.",
        "",
        *lines,
        "",
        *verdicts,
    ])
