"""Chaos bench of issue 26: the load bench's mixed workload while the services fail under it.

Everything runs on loopback, on services of the bench's own, so that restarting them disturbs nothing
else on the machine:

1. a PostgreSQL cluster of its own (``initdb`` into a temporary folder, a free port; as the
   ``postgres`` user when run as root) and a redis-server of its own (free port, append-only file, as
   a production broker would be configured), both in that folder;
2. production settings (``DJANGO_DEBUG=0``), migrate, the embedded MovieLens data, a trained model;
   gunicorn, a Celery worker and beat as in the Procfile; 50 accounts with ratings (bench_load.py's
   set-up);
3. locust, headless, ``bench/locust_chaos.py`` (the load bench's visitors, ratings through the API and
   the title page's form included) for a fixed duration, while the bench, at fixed times:
   - restarts Redis (SIGTERM, then started again on the same port and append-only file);
   - kills the Celery worker's process group with SIGKILL and starts a new worker;
   - restarts PostgreSQL (``pg_ctl restart -m fast``);
   and sends a probe task (``streamrec.tasks.flush_outbox``) through the broker every 2 s, to see when
   the worker runs tasks again;
4. prints the requests and errors per 5-second window, each fault's errors, the seconds from the fault
   to the first clean window (goal <= 10 s) and to the first probe task done after it; then checks every
   rating the site acknowledged against the database: the stored score must be that of the last
   acknowledged write for that account and title (from the client's own log).

    .venv/bin/python bench/bench_chaos.py                    # 50 users, 150 s, faults at 30, 65, 100 s
    .venv/bin/python bench/bench_chaos.py --write-readme     # also records the tables in bench/README.md

It stops by itself: the load has a fixed duration and the whole run a hard limit (``--max-seconds``);
every process it started is stopped and the temporary folder removed at the end, also on an error.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench_load
from bench_load import VENV_BIN, create_accounts, log, popular_title_ids, run, start, stop_all, wait_for_health, wait_for_log
from chaos_report import RECOVERY_GOAL, check_ratings, errors_before, fault_rows, fmt, tables, windows, write_readme

ROOT = Path(__file__).resolve().parent.parent
FAULTS = ("redis restart", "worker SIGKILL + restart", "postgres restart")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Postgres:
    """A PostgreSQL cluster of the bench's own in ``folder``, on a free loopback port."""

    def __init__(self, folder: Path):
        self.data, self.socket_dir, self.log = folder / "pgdata", folder / "pgsock", folder / "postgres.log"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.socket_dir.mkdir()
        if self.as_postgres:
            shutil.chown(folder, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/streamrec"

    def _pg(self, *args: str) -> None:
        result = subprocess.run([*self.as_postgres, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")

    def create(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--no-locale")
        self.start()
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE streamrec")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} -c max_connections=100"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def restart(self) -> None:
        # -l again: without it the server would write to pg_ctl's captured output and the call never returns.
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.as_postgres, "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"], capture_output=True)


class Redis:
    """A redis-server of the bench's own: free loopback port, append-only file in ``folder``."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder / "redis", free_port()
        self.folder.mkdir()
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        log_file = open(self.folder / "redis.log", "a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        import redis

        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise SystemExit("the bench's redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Probes(threading.Thread):
    """Sends ``streamrec.tasks.flush_outbox`` through the broker every 2 s and keeps the task ids."""

    def __init__(self, broker_url: str):
        super().__init__(daemon=True)
        from celery import Celery

        self.app = Celery("chaos-probe", broker=broker_url)
        self.app.conf.broker_transport_options = {"max_retries": 0, "socket_connect_timeout": 1, "socket_timeout": 2}
        self.sent: list[tuple[float, str]] = []
        self.unsent = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(2.0):
            at = time.time()
            try:
                result = self.app.send_task("streamrec.tasks.flush_outbox", queue="streamrec", retry=False)
                self.sent.append((at, result.id))
            except Exception:  # the broker is down: this probe is not sent (counted), the next one tries again
                self.unsent += 1


def done_times(database_url: str, task_ids: list[str]) -> dict[str, float]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT task_id, extract(epoch FROM date_done) FROM django_celery_results_taskresult "
                            "WHERE task_id = ANY(%s) AND status = 'SUCCESS'", [task_ids]).fetchall()
    return {task_id: float(done) for task_id, done in rows}


def stored_scores(database_url: str, usernames: list[str]) -> dict[tuple[str, int], float]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT u.username, r.title_id, r.score FROM ratings_rating r JOIN auth_user u ON u.id = r.user_id "
                            "WHERE u.username = ANY(%s)", [usernames]).fetchall()
    return {(username, title): score for username, title, score in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=150, help="seconds of load")
    parser.add_argument("--faults-at", default="30,65,100", help="seconds into the load of: Redis restart, worker kill, PostgreSQL restart")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--wait", default="1,3", help="think time between a user's requests, min,max seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-seconds", type=int, default=2400, help="hard limit of the whole run, set-up included")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    parser.add_argument("--write-readme", action="store_true", help="record the tables in bench/README.md")
    args = parser.parse_args()
    fault_offsets = [float(x) for x in args.faults_at.split(",")]
    if len(fault_offsets) != 3 or sorted(fault_offsets) != fault_offsets or fault_offsets[-1] >= args.duration:
        raise SystemExit("--faults-at takes three increasing offsets within --duration")

    def out_of_time(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, out_of_time)
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.max_seconds)
    folder = Path(tempfile.mkdtemp(prefix="streamrec_chaos_"))
    postgres, redis_server = Postgres(folder), Redis(folder)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    log(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} on {os.cpu_count()} cores; folder {folder}")
    try:
        postgres.create()
        redis_server.start()
        log(f"private PostgreSQL on port {postgres.port}, Redis on port {redis_server.port}")
        env = {
            **os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
            "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": postgres.url, "CELERY_BROKER_URL": redis_server.url(0), "STREAMREC_CACHE_URL": redis_server.url(1),
            "STREAMREC_MODEL_DIR": str(folder / "models"), "DJANGO_STATIC_ROOT": str(folder / "static"),
            "STREAMREC_INBOX_DIR": str(folder / "inbox"), "STREAMREC_BACKUP_DIR": str(folder / "backups"),
            "STREAMREC_THROTTLE_ANON": "1000000/min", "STREAMREC_THROTTLE_USER": "1000000/min",
            "STREAMREC_THROTTLE_AUTH": "1000000/min", "STREAMREC_THROTTLE_SYNC": "1000000/min",
            "DJANGO_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
        }
        manage = [sys.executable, "manage.py"]
        run(manage + ["migrate", "--noinput"], env)
        log("load_demo")
        run(manage + ["load_demo"], env)
        log("train")
        run(manage + ["train"], env)
        bench_load.analyze(postgres.url)
        run(manage + ["collectstatic", "--noinput", "--verbosity", "0"], env)

        start("gunicorn", [str(VENV_BIN / "gunicorn"), "streamrec.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                           "--timeout", "30", "--error-logfile", "-"], env, folder / "gunicorn.log")
        worker_argv = [str(VENV_BIN / "celery"), "-A", "streamrec", "worker", "--loglevel=info"]
        worker = start("celery worker", worker_argv, env, folder / "worker.log")
        start("celery beat", [str(VENV_BIN / "celery"), "-A", "streamrec", "beat", "--loglevel=info",
                              "--schedule", str(folder / "celerybeat-schedule")], env, folder / "beat.log")
        health = wait_for_health(base)
        wait_for_log(folder / "worker.log", "ready.")
        log(f"healthy: model v{health['model']['version']} ({health['model']['algorithm']})")
        title_ids = popular_title_ids(postgres.url)
        accounts = create_accounts(base, args.users, title_ids, args.seed)

        wait_min, wait_max = (float(x) for x in args.wait.split(","))
        data_file, chaos_file = folder / "locust_input.json", folder / "locust_chaos.json"
        data_file.write_text(json.dumps({"accounts": accounts, "title_ids": title_ids, "search_terms": bench_load.SEARCH_TERMS,
                                         "wait": [wait_min, wait_max], "raw_output": str(folder / "locust_raw.json"),
                                         "chaos_output": str(chaos_file)}))
        probes = Probes(redis_server.url(0))
        load_start = os.getloadavg()
        t0 = time.time()
        locust = start("locust", [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locust_chaos.py"), "--headless",
                                  "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration}s",
                                  "--host", base, "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
                       {**env, "STREAMREC_LOAD_DATA": str(data_file)}, folder / "locust.log")
        probes.start()
        fault_list: list[tuple[str, float, float]] = []
        for name, offset in zip(FAULTS, fault_offsets):
            time.sleep(max(0.0, t0 + offset - time.time()))
            at = time.time()
            log(f"fault: {name}")
            if name == "redis restart":
                redis_server.stop()
                redis_server.start()
            elif name == "worker SIGKILL + restart":
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
                worker = start("celery worker", worker_argv, env, folder / "worker-2.log")
            else:
                postgres.restart()
            fault_list.append((name, at, time.time() - at))
            log(f"{name}: done in {time.time() - at:.1f} s")
        locust.wait(timeout=args.duration + 60)
        end = time.time()
        probes.stopping.set()
        probes.join(timeout=10)
        load_end = os.getloadavg()
        time.sleep(5)  # the last probes run
        if not chaos_file.exists():
            raise SystemExit(f"locust wrote no log; see {folder / 'locust.log'}")
        chaos = json.loads(chaos_file.read_text())
        requests, writes = chaos["requests"], chaos["writes"]
        done = done_times(postgres.url, [task_id for _, task_id in probes.sent])
        window_rows = windows(requests, t0, end - t0)
        rows = fault_rows(fault_list, requests, window_rows, t0, end, probes.sent, done)
        check = check_ratings(writes, stored_scores(postgres.url, [a["username"] for a in accounts]))

        window_table, fault_table = tables(window_rows, fault_list, rows, t0)
        total_errors = sum(w["errors"] for w in window_rows)
        recovered = all(r["recovery"] is not None and r["recovery"] <= RECOVERY_GOAL for r in rows)
        lost = len(check["missing"]) + len(check["different"])
        summary = [
            f"{args.users} users for {args.duration} s, think time {wait_min:g}-{wait_max:g} s, gunicorn {args.workers} sync workers; "
            f"{len(requests):,} requests, {total_errors} errors; load average {load_start[0]:.2f} at the start, "
            f"{load_end[0]:.2f} at the end ({os.cpu_count()} cores, shared with other work on this machine)",
            "recovery (first clean 5-s window after each fault): "
            + ", ".join(f"{r['fault']} {fmt(r['recovery'], 0)} s" for r in rows)
            + f" (goal <= {RECOVERY_GOAL:.0f} s each): {'PASS' if recovered else 'FAIL'}",
            f"ratings: {check['writes']} writes sent, {check['acknowledged']} acknowledged, on {check['pairs']} (account, title) pairs; "
            f"stored = last acknowledged score: {check['equal']} of {check['pairs']}; missing {len(check['missing'])}, "
            f"different {len(check['different'])}, changed by a later unacknowledged write {len(check['changed_by_unacknowledged'])}: "
            f"{'PASS' if lost == 0 else 'FAIL'}",
            f"probe tasks: {len(probes.sent)} sent, {len(done)} done, {probes.unsent} not sent (broker down)",
            errors_before(requests, fault_list[0][1]),
        ]
        print()
        print(window_table)
        print()
        print(fault_table)
        print()
        print("\n".join(summary))
        for problem in (check["missing"] + check["different"])[:20]:
            print("  lost:", problem)
        if args.write_readme:
            write_readme(args, window_table, fault_table, summary, load_before)
        return 0 if recovered and lost == 0 else 1
    except KeyboardInterrupt:
        log("interrupted or out of time")
        return 130
    finally:
        signal.alarm(0)
        stop_all()
        redis_server.stop()
        postgres.stop()
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
