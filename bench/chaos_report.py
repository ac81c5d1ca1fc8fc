"""The chaos bench's reading of what happened (bench/bench_chaos.py runs it): errors per 5-second window,
each fault's errors and recovery, and the client's log of rating writes against the database."""
import os
from datetime import datetime, timezone

from readme_block import write_block

MARK_BEGIN, MARK_END = "<!-- bench_chaos:begin -->", "<!-- bench_chaos:end -->"
WINDOW = 5.0
RECOVERY_GOAL = 10.0


def check_ratings(writes: list[dict], stored: dict) -> dict:
    """The client's log against the database: for each (account, title) with an acknowledged write, the
    stored score must be the last acknowledged one. A differing score that a later write the site did
    not acknowledge (a timeout, an error page) had sent is told apart from a lost write."""
    by_pair: dict[tuple[str, int], list[dict]] = {}
    for write in sorted(writes, key=lambda w: w["sent"]):
        by_pair.setdefault((write["username"], write["title"]), []).append(write)
    result = {"writes": len(writes), "acknowledged": sum(w["acknowledged"] for w in writes), "pairs": 0, "equal": 0,
              "missing": [], "different": [], "changed_by_unacknowledged": []}
    for pair, attempts in by_pair.items():
        acked = [w for w in attempts if w["acknowledged"]]
        if not acked:
            continue
        result["pairs"] += 1
        expected, found = acked[-1]["score"], stored.get(pair)
        later_unacked = {w["score"] for w in attempts if not w["acknowledged"] and w["sent"] > acked[-1]["sent"]}
        if found == expected:
            result["equal"] += 1
        elif found is not None and found in later_unacked:
            result["changed_by_unacknowledged"].append((pair, expected, found))
        elif found is None:
            result["missing"].append((pair, expected))
        else:
            result["different"].append((pair, expected, found))
    return result


def windows(requests: list, t0: float, duration: float) -> list[dict]:
    count = int(duration // WINDOW) + 1
    rows = [{"start": i * WINDOW, "requests": 0, "errors": 0} for i in range(count)]
    for answered, _name, _status, failed in requests:
        index = int((answered - t0) // WINDOW)
        if 0 <= index < count:
            rows[index]["requests"] += 1
            rows[index]["errors"] += int(failed)
    return [row for row in rows if row["requests"]]


def fault_rows(faults: list[tuple[str, float, float]], requests: list, window_rows: list[dict], t0: float, end: float,
               probes: list[tuple[float, str]], done: dict[str, float]) -> list[dict]:
    rows = []
    for index, (name, at, took) in enumerate(faults):
        until = faults[index + 1][1] if index + 1 < len(faults) else end
        failed = [(answered, request) for answered, request, _status, bad in requests if bad and at <= answered < until]
        # Recovered from the first clean window after the fault's last window with errors (before the next fault).
        in_reach = [w for w in window_rows if at - 0.5 <= t0 + w["start"] < until - 0.5]  # faults start on window starts
        last_bad = max((i for i, w in enumerate(in_reach) if w["errors"]), default=-1)
        clean = next((w for w in in_reach[last_bad + 1:] if w["errors"] == 0), None)
        first_probe = min((done[task_id] for sent, task_id in probes if sent >= at and task_id in done), default=None)
        kinds: dict[str, int] = {}
        for _answered, request in failed:
            kinds[request] = kinds.get(request, 0) + 1
        rows.append({
            "fault": name, "at": at - t0, "took": took, "errors": len(failed),
            "recovery": max(0.0, t0 + clean["start"] - at) if clean else None,
            "last_error": (max(s for s, _ in failed) - at) if failed else None,
            "task_recovery": (first_probe - at) if first_probe else None,
            "kinds": sorted(kinds.items(), key=lambda item: -item[1])[:3],
        })
    return rows


def errors_before(requests: list, until: float) -> str:
    """Errors answered before the first fault (start-up and load alone), by request."""
    kinds: dict[str, int] = {}
    for answered, request, _status, bad in requests:
        if bad and answered < until:
            kinds[request] = kinds.get(request, 0) + 1
    detail = ", ".join(f"{name}: {n}" for name, n in sorted(kinds.items(), key=lambda item: -item[1])[:4])
    return f"before the first fault: {sum(kinds.values())} errors" + (f" ({detail})" if detail else "")


def fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def tables(window_rows, fault_list, rows, t0) -> tuple[str, str]:
    marks = {int((at - t0) // WINDOW): name for name, at, _ in fault_list}
    lines = ["| window (s) | requests | errors | fault |", "|---|---:|---:|---|"]
    for w in window_rows:
        lines.append(f"| {w['start']:.0f}-{w['start'] + WINDOW:.0f} | {w['requests']} | {w['errors']} | {marks.get(int(w['start'] // WINDOW), '')} |")
    fault_lines = ["| fault | at (s) | fault took (s) | errors until next fault | recovery to first clean window (s, goal <= 10) "
                   "| last error after fault (s) | first probe task done after fault (s) | errors by request |",
                   "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        kinds = ", ".join(f"{name}: {n}" for name, n in r["kinds"]) or "-"
        fault_lines.append(f"| {r['fault']} | {r['at']:.1f} | {r['took']:.1f} | {r['errors']} | {fmt(r['recovery'], 0)} | "
                           f"{fmt(r['last_error'])} | {fmt(r['task_recovery'])} | {kinds} |")
    return "\n".join(lines), "\n".join(fault_lines)


def write_readme(args, window_table, fault_table, summary, load_before) -> None:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"{MARK_BEGIN}\n"
        "## Chaos bench (`bench/bench_chaos.py`)\n\n"
        f"Command: `.venv/bin/python bench/bench_chaos.py --write-readme` (defaults: `--users {args.users} --duration {args.duration} "
        f"--faults-at {args.faults_at}`)\n\n"
        f"Run {now} on {os.cpu_count()} cores, on a machine shared with other engineers' test runs (1-minute load average "
        f"{load_before[0]:.2f} before the set-up): the bench's own PostgreSQL cluster and Redis, gunicorn, a Celery worker and "
        "beat, and locust, all on this machine. Production settings, the embedded MovieLens data, the load bench's mixed "
        "workload (ratings through the API and the title page's form).\n\n"
        f"{fault_table}\n\n"
        "```\n" + "\n".join(summary) + "\n```\n\n"
        "Requests and errors per 5-second window (by the time each answer or error came):\n\n"
        f"{window_table}\n"
        f"{MARK_END}"
    )
    write_block(MARK_BEGIN, MARK_END, block)
