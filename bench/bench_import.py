"""Benchmark of the content pipeline against PostgreSQL, on the real datasets (never copied here).

Creates a fresh database (default ``streamrec_bench``), migrates it, then runs each import as the
real command in its own process (``manage.py import_catalog … --no-progress``) and measures wall time
and that process's peak memory (ru_maxrss via wait4). Reference floors run the same way: a plain
pandas read of the same file, which parses but writes nothing.

    .venv/bin/python bench/bench_import.py                 # prints the table
    .venv/bin/python bench/bench_import.py --write-readme  # also records it in bench/README.md

Datasets come from settings.DATASETS_DIR (env STREAMREC_DATASETS_DIR, default ../shared/datasets).
"""
import argparse
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from readme_block import write_block

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SUMMARY = re.compile(r"rows=(\d+) created=(\d+) updated=(\d+) unchanged=(\d+) rejected=(\d+)")
RUN_SECONDS = re.compile(r"\(run #\d+, ([\d.]+) s\)")
RESOLUTION = re.compile(r"resolution: (matched=\d+ new=\d+ ambiguous=\d+)")
MARK_BEGIN, MARK_END = "<!-- bench_import:begin -->", "<!-- bench_import:end -->"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/streamrec_bench")
    parser.add_argument("--write-readme", action="store_true", help="record the table in bench/README.md")
    parser.add_argument("--repeat", type=int, default=2, help="rounds on a fresh database; the best time is kept")
    args = parser.parse_args()

    data = datasets_dir()
    ml = data / "movielens-1m"
    streaming = [data / "streaming" / "netflix_titles.csv", data / "streaming" / "disney_plus_titles.csv"]
    tmdb = [data / "tmdb" / n for n in ("movies_metadata_sample.csv", "credits_sample.csv", "keywords_sample.csv")]
    ml_files = [ml / "movies.dat", ml / "ratings_partial_users_1-2999.dat"]
    for path in [*ml_files, *streaming, *tmdb]:
        if not path.is_file():
            raise SystemExit(f"missing dataset file {path} (set STREAMREC_DATASETS_DIR)")

    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_DEBUG": "1"}
    env.pop("CELERY_BROKER_URL", None)
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
    best: dict[str, tuple] = {}
    notes: dict[str, str] = {}
    loads = []
    for round_number in range(1, args.repeat + 1):
        loads.append(os.getloadavg()[0])
        fresh_database(args.database_url)
        measure([PY, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"], env)
        for label, argv, is_import in steps:
            seconds, peak, out, _, cpu = measure(argv, env)
            n = int(re.findall(r"rows=(\d+)", out)[-1])
            # The import's own time: the runs' durations as recorded (no process start-up).
            own = sum(float(x) for x in RUN_SECONDS.findall(out)) if is_import else seconds
            previous = best.get(label)
            best[label] = (n, min(seconds, previous[1]) if previous else seconds, max(peak, previous[2]) if previous else peak,
                           min(cpu, previous[3]) if previous else cpu, min(own, previous[4]) if previous else own)
            if is_import:
                resolution = RESOLUTION.search(out)
                notes[label] = f"- {label}: `{out.strip().splitlines()[-1]}`" + (f", {resolution.group(1)}" if resolution else "")
            print(f"round {round_number} {label:55s} {n:>8d} rows {seconds:7.2f} s (cpu {cpu:5.2f} s) {peak:7.0f} MiB", flush=True)
    loads.append(os.getloadavg()[0])
    rows = [(label, *best[label]) for label, _, _ in steps]

    table = [
        "| source | rows | seconds | rows/s | peak memory MiB | import runs' own seconds | CPU s of the command |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    table += [
        f"| {label} | {n:,} | {s:.2f} | {n / s:,.0f} | {peak:.0f} | {own:.2f} | {cpu:.2f} |" for label, n, s, peak, cpu, own in rows
    ]
    text = "\n".join(
        [
            f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores; best of {args.repeat} rounds, each on a "
            f"fresh database ({args.database_url.rsplit('@', 1)[-1]}, migrated). 1-minute load average at the start of each "
            f"round and at the end: {', '.join(f'{x:.1f}' for x in loads)} (other work shared the machine).",
            "Seconds, rows/s and peak memory are the whole command process (Python and Django start-up included); "
            "\"import runs' own seconds\" is the sum of the ImportRun durations the command reports (start-up excluded); "
            "the PostgreSQL server's CPU is not in the CPU column.",
            "",
            *table,
            "",
            "Summary lines and entity resolution (last round):",
            "",
            *notes.values(),
        ]
    )
    print()
    print(text)
    if args.write_readme:
        section = (
            f"{MARK_BEGIN}\n## Content pipeline imports (`bench/bench_import.py`)\n\n"
            "Command: `.venv/bin/python bench/bench_import.py --write-readme`\n\n"
            f"{text}\n{MARK_END}"
        )
        write_block(MARK_BEGIN, MARK_END, section)


if __name__ == "__main__":
    main()
