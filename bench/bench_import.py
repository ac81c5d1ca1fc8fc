"""Benchmark of the content pipeline against PostgreSQL and SQLite (the embedded default), on the
real datasets (never copied here).

Creates a fresh database (default ``streamrec_bench``; SQLite: a file in a temporary directory),
migrates it, then runs each import as the real command in its own process (``manage.py
import_catalog … --no-progress``) and measures wall time and that process's peak memory (ru_maxrss
via wait4). Reference floors run the same way: a plain pandas read of the same file, which parses
but writes nothing. The SQLite rows import an ml-latest-shaped dump (``bench/mllatest_dump.py``:
../shared/datasets holds no ml-latest dump) and ML-1M. ``--orders`` imports the TMDB sample and
that dump in both orders and compares the catalogs (``bench/import_orders.py``).

    .venv/bin/python bench/bench_import.py                 # prints the table
    .venv/bin/python bench/bench_import.py --write-readme  # also records it in bench/README.md
    .venv/bin/python bench/bench_import.py --only sqlite   # postgres | sqlite | orders

Datasets come from settings.DATASETS_DIR (env STREAMREC_DATASETS_DIR, default ../shared/datasets).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from import_orders import compare_orders
from mllatest_dump import write as write_dump
from readme_block import write_block

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SUMMARY = re.compile(r"rows=(\d+) created=(\d+) updated=(\d+) unchanged=(\d+) rejected=(\d+)")
RUN_SECONDS = re.compile(r"\(run #\d+, ([\d.]+) s[,)]")
RUN_CPU = re.compile(r"\(run #\d+, [\d.]+ s, cpu ([\d.]+) s\)")
RESOLUTION = re.compile(r"resolution: (matched=\d+ new=\d+ ambiguous=\d+)")
MARK_BEGIN, MARK_END = "<!-- bench_import:begin -->", "<!-- bench_import:end -->"
# Each part has its own block, so a run of one part (--only) leaves the others' figures in place.
MARKS = {
    "postgres": (MARK_BEGIN, MARK_END, "## Content pipeline imports (`bench/bench_import.py`)"),
    "sqlite": ("<!-- bench_import_sqlite:begin -->", "<!-- bench_import_sqlite:end -->", "## Imports on SQLite, the embedded default (`bench/bench_import.py --only sqlite`)"),
    "orders": ("<!-- bench_import_orders:begin -->", "<!-- bench_import_orders:end -->", "## Import order and entity resolution (`bench/bench_import.py --only orders`)"),
}


def datasets_dir() -> Path:
    return Path(os.environ.get("STREAMREC_DATASETS_DIR", ROOT.parent / "shared" / "datasets"))


def measure(argv: list[str], env: dict) -> tuple[float, float, str, str, float]:
    """Run ``argv``; returns (seconds, peak MiB, stdout, stderr, CPU seconds of the process).
    Fails loudly on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Read output first (avoid pipe deadlock), then reap with wait4 for this child's own rusage.
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{out}\n{err}")
    return seconds, usage.ru_maxrss / 1024, out, err, usage.ru_utime + usage.ru_stime


def fresh_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


PANDAS_ML = (
    "import pandas as pd, sys; f = pd.read_csv(sys.argv[1], sep='::', engine='python', header=None, "
    "names=['user', 'movie', 'rating', 'ts'], encoding='latin-1'); print(f'rows={len(f)}')"
)
PANDAS_ML_FAST = (
    "import pandas as pd, sys; f = pd.read_csv(sys.argv[1], sep=':', header=None, usecols=[0, 2, 4, 6], "
    "names=['user', 'a', 'movie', 'b', 'rating', 'c', 'ts'], encoding='latin-1'); print(f'rows={len(f)}')"
)
PANDAS_CSV = "import pandas as pd, sys; print('rows=' + str(sum(len(pd.read_csv(p, dtype=str)) for p in sys.argv[1:])))"


def run_steps(steps, env, rounds: int, prepare) -> tuple[list, dict, list]:
    """Best of ``rounds`` of ``steps`` [(label, argv, is_import)], each round after ``prepare()``
    (a fresh, migrated database). Returns (rows of the table, summary notes, load averages)."""
    best: dict[str, tuple] = {}
    notes: dict[str, str] = {}
    loads = []
    for round_number in range(1, rounds + 1):
        loads.append(os.getloadavg()[0])
        prepare()
        measure([PY, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"], env)
        for label, argv, is_import in steps:
            seconds, peak, out, _, cpu = measure(argv, env)
            n = int(re.findall(r"rows=(\d+)", out)[-1])
            # The import's own time: the runs' durations as recorded (no process start-up).
            own = sum(float(x) for x in RUN_SECONDS.findall(out)) if is_import else seconds
            own_cpu = sum(float(x) for x in RUN_CPU.findall(out)) if is_import else cpu
            previous = best.get(label)
            best[label] = (n, min(seconds, previous[1]) if previous else seconds, max(peak, previous[2]) if previous else peak,
                           min(cpu, previous[3]) if previous else cpu, min(own, previous[4]) if previous else own,
                           min(own_cpu, previous[5]) if previous else own_cpu)
            if is_import:
                resolution = RESOLUTION.search(out)
                notes[label] = f"- {label}: `{out.strip().splitlines()[-1]}`" + (f", {resolution.group(1)}" if resolution else "")
            print(f"round {round_number} {label:55s} {n:>8d} rows {seconds:7.2f} s (cpu {cpu:5.2f} s) {peak:7.0f} MiB", flush=True)
    loads.append(os.getloadavg()[0])
    return [(label, *best[label]) for label, _, _ in steps], notes, loads


def table_text(title: str, database: str, rows, notes, loads, rounds: int) -> str:
    table = [
        "| source | rows | seconds | rows/s | peak memory MiB | import runs' own seconds | rows/s of the runs | "
        "CPU s of the command | CPU s of the runs | rows per CPU s of the runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    table += [
        f"| {label} | {n:,} | {s:.2f} | {n / s:,.0f} | {peak:.0f} | {own:.2f} | {n / own:,.0f} | {cpu:.2f} | {own_cpu:.2f} | "
        f"{n / own_cpu:,.0f} |" if own_cpu else
        f"| {label} | {n:,} | {s:.2f} | {n / s:,.0f} | {peak:.0f} | {own:.2f} | {n / own:,.0f} | {cpu:.2f} | – | – |"
        for label, n, s, peak, cpu, own, own_cpu in rows
    ]
    return "\n".join(
        [
            f"### {title}",
            "",
            f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores; best of {rounds} rounds, each on a "
            f"fresh database ({database}, migrated). 1-minute load average at the start of each "
            f"round and at the end: {', '.join(f'{x:.1f}' for x in loads)} (other work shared the machine).",
            "Seconds, rows/s and peak memory are the whole command process (Python and Django start-up included); "
            "\"import runs' own seconds\" is the sum of the ImportRun durations the command reports (start-up excluded); "
            "the database server's CPU is not in the CPU columns (SQLite runs inside the command, so there it is: on a "
            "machine shared with other work, \"rows per CPU s of the runs\" is the embedded import's own speed).",
            "",
            *table,
            "",
            "Summary lines and entity resolution (last round):",
            "",
            *notes.values(),
        ]
    )


def postgres_section(data: Path, url: str, rounds: int) -> str:
    ml = data / "movielens-1m"
    streaming = [data / "streaming" / "netflix_titles.csv", data / "streaming" / "disney_plus_titles.csv"]
    tmdb = [data / "tmdb" / n for n in ("movies_metadata_sample.csv", "credits_sample.csv", "keywords_sample.csv")]
    ml_files = [ml / "movies.dat", ml / "ratings_partial_users_1-2999.dat"]
    env = bench_env(url)
    manage = [PY, "manage.py", "import_catalog", "--skip-checks"]
    steps = [
        ("ml-1m movies.dat + ratings (487,650), fresh DB", [*manage, "movielens", *map(str, ml_files), "--no-progress"], True),
        ("ml-1m again (all unchanged)", [*manage, "movielens", *map(str, ml_files), "--no-progress"], True),
        ("floor: pandas read_csv(sep='::', engine='python')", [PY, "-c", PANDAS_ML, str(ml_files[1])], False),
        ("floor: pandas read_csv(sep=':', C engine)", [PY, "-c", PANDAS_ML_FAST, str(ml_files[1])], False),
        ("netflix + disney (10,257), after ml-1m", [*manage, "streaming", *map(str, streaming), "--no-progress"], True),
        ("netflix + disney again (all unchanged)", [*manage, "streaming", *map(str, streaming), "--no-progress"], True),
        ("floor: pandas read_csv of both", [PY, "-c", PANDAS_CSV, *map(str, streaming)], False),
        ("TMDB sample: metadata + credits + keywords", [*manage, "tmdb", *map(str, tmdb), "--no-progress"], True),
        ("TMDB sample again (all unchanged)", [*manage, "tmdb", *map(str, tmdb), "--no-progress"], True),
    ]
    rows, notes, loads = run_steps(steps, env, rounds, lambda: fresh_database(url))
    return table_text("PostgreSQL", url.rsplit("@", 1)[-1], rows, notes, loads, rounds)


def sqlite_section(data: Path, dump: Path, rounds: int) -> str:
    """The embedded default: SQLite in WAL mode with synchronous=NORMAL during the import only."""
    ml = data / "movielens-1m"
    ml_files = [ml / "movies.dat", ml / "ratings_partial_users_1-2999.dat"]
    dump_files = [dump / n for n in ("movies.csv", "links.csv", "ratings.csv", "tags.csv")]
    database = Path(tempfile.mkdtemp(prefix="bench-import-")) / "bench.sqlite3"
    env = bench_env(f"sqlite:///{database}")
    manage = [PY, "manage.py", "import_catalog", "--skip-checks"]
    n_dump = sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in dump_files)
    steps = [
        (f"ml-latest dump: movies, links, ratings, tags ({n_dump:,}), fresh DB", [*manage, "movielens", *map(str, dump_files), "--no-progress"], True),
        ("ml-latest dump again (all unchanged)", [*manage, "movielens", *map(str, dump_files), "--no-progress"], True),
        ("floor: pandas read_csv of the dump", [PY, "-c", PANDAS_CSV, *map(str, dump_files)], False),
        ("ml-1m movies.dat + ratings (487,650), after the dump", [*manage, "movielens", *map(str, ml_files), "--no-progress"], True),
    ]

    def fresh():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)

    rows, notes, loads = run_steps(steps, env, rounds, fresh)
    return table_text("SQLite (the embedded default)", "a SQLite file", rows, notes, loads, rounds)


def bench_env(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
    env.pop("CELERY_BROKER_URL", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/streamrec_bench")
    parser.add_argument("--write-readme", action="store_true", help="record the table in bench/README.md")
    parser.add_argument("--repeat", type=int, default=2, help="rounds on a fresh database; the best time is kept")
    parser.add_argument("--only", choices=["postgres", "sqlite", "orders"], help="one part only (default: all three)")
    args = parser.parse_args()

    data = datasets_dir()
    needed = [data / "movielens-1m" / "movies.dat", data / "movielens-1m" / "ratings_partial_users_1-2999.dat",
              data / "streaming" / "netflix_titles.csv", data / "tmdb" / "movies_metadata_sample.csv"]
    for path in needed:
        if not path.is_file():
            raise SystemExit(f"missing dataset file {path} (set STREAMREC_DATASETS_DIR)")
    dump = Path(tempfile.mkdtemp(prefix="mllatest-dump-"))
    write_dump(dump, ratings=100_836, tags=3_683, genome=0)
    sections = {}
    if args.only in (None, "postgres"):
        sections["postgres"] = postgres_section(data, args.database_url, args.repeat)
    if args.only in (None, "sqlite"):
        sections["sqlite"] = sqlite_section(data, dump, args.repeat)
    if args.only in (None, "orders"):
        sections["orders"] = compare_orders(data / "tmdb" / "movies_metadata_sample.csv", dump, args.database_url, bench_env, measure)
    print()
    print("\n\n".join(sections.values()))
    if args.write_readme:
        for part, text in sections.items():
            begin, end, heading = MARKS[part]
            command = ".venv/bin/python bench/bench_import.py --write-readme" + (f" --only {part}" if part != "postgres" else " --only postgres")
            write_block(begin, end, f"{begin}\n{heading}\n\nCommand: `{command}`\n\n{text}\n{end}")

if __name__ == "__main__":
    main()
