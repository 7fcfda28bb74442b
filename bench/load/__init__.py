"""The load bench (issue 6): 50 agents working their dashboards against gunicorn + PostgreSQL
on 127.0.0.1, and in the same run the framework's ceiling.

`make bench` runs it with the other modules; alone: `.venv/bin/python -m bench.load` (or
`bench/run.py bench.load`). Steps, all done here, bounded in time (about 2½ minutes):

1. drop and create a database of its own (agentcrm_load on the PostgreSQL server of
   DATABASE_URL, else on 127.0.0.1:5432; never agentcrm or agentcrm_ci, loopback only);
2. `python -m bench.load.seed`: migrate, collect the static files, seed the agents and their
   books, build their touches (bench/load/seed.py);
3. start gunicorn on a free port of 127.0.0.1 with bench.load.settings (production's, minus
   TLS; DEBUG off), sync workers, one more than the cores (see below); time one agent alone
   opening its dashboard (the service time, and the workers' warm-up);
   gunicorn is ready when every worker has answered (no fixed wait: up to
   BENCH_LOAD_READY_SECONDS, 300);
4. locust, headless: first the ceiling, PingUser × 50 for 20 s on /bench/ping-db, a bare
   view doing one query, on a server nobody else is using; then AgentUser × 50 for 60 s
   without think time (log in once; then dashboard, mark one of its open touches done by
   htmx, every 5th round the client list; bench/load/locustfile.py); then the same agents
   for 40 s with 3 s of think time between rounds (what agents at work ask of it);
5. print requests, failures, requests/s, median and p95 per phase and per page from
   locust's CSV, check the server log and the database (each done request answered closed
   one touch and logged one contact), stop gunicorn (also on error, Ctrl-C or SIGTERM; and
   it gets SIGTERM if this process dies), drop the database, and fail if anything went
   wrong: a failed request, an error in the server log, a miscount in the database.

The first agents' figures are for a saturated server: no think time, each simulated agent
asks again as soon as it has its answer, and locust, gunicorn and PostgreSQL share the
machine's cores. The last line is `load ratio agents/ceiling: <x>`: the agents' requests/s
without think time over the one-query view's, the figure to track (the issue's aim: 0.25).

Settings (environment): BENCH_LOAD_SECONDS (60), BENCH_LOAD_CEILING_SECONDS (20),
BENCH_LOAD_USERS (50), BENCH_LOAD_CLIENTS (300 per agent), BENCH_LOAD_WORKERS (cores + 1),
BENCH_LOAD_THREADS (1: sync workers; more: gthread), BENCH_LOAD_WAIT (0 s think time in
the first agents' phase), BENCH_LOAD_THINK (3 s) and BENCH_LOAD_THINK_SECONDS (40; 0 skips
the phase), BENCH_LOAD_READY_SECONDS (300),
BENCH_LOAD_DATABASE_URL (the whole URL of the bench's database), BENCH_LOAD_KEEP_DB=1 (keep
it afterwards). A smoke run: `BENCH_LOAD_SECONDS=10 BENCH_LOAD_CEILING_SECONDS=5 .venv/bin/python
-m bench.load`.

Only the standard library and psycopg2 are imported here: gunicorn imports this package for
bench.load.settings.
"""

import contextlib
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .agent import agent_username

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_DB = "agentcrm_load"
FORBIDDEN_DBS = {"agentcrm", "agentcrm_ci", "postgres", "template0", "template1"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


# Touches done and contacts logged, before and after the agents' run.
COUNTS = (
    "SELECT count(*) FROM touches_touch WHERE status = 'done'",
    "SELECT count(*) FROM clients_interaction",
)


class LoadBenchError(RuntimeError):
    pass


def settings_from_env(environ=os.environ) -> dict:
    users = int(environ.get("BENCH_LOAD_USERS", "50"))
    threads = int(environ.get("BENCH_LOAD_THREADS", "1"))
    return {
        "seconds": int(environ.get("BENCH_LOAD_SECONDS", "60")),
        "ceiling_seconds": int(environ.get("BENCH_LOAD_CEILING_SECONDS", "20")),
        "users": users,
        "clients": int(environ.get("BENCH_LOAD_CLIENTS", "300")),
        "workers": int(environ.get("BENCH_LOAD_WORKERS", str((os.cpu_count() or 1) + 1))),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "wait": environ.get("BENCH_LOAD_WAIT", "0"),
        # The second agents' phase: the same agents reading and thinking between rounds.
        "think": environ.get("BENCH_LOAD_THINK", "3"),
        "think_seconds": int(environ.get("BENCH_LOAD_THINK_SECONDS", "40")),
        # How long gunicorn may take to answer at all (a busy machine imports slowly).
        "ready_seconds": int(environ.get("BENCH_LOAD_READY_SECONDS", "300")),
        "keep_db": environ.get("BENCH_LOAD_KEEP_DB") == "1",
    }


def database_url(environ=os.environ) -> str:
    """The bench's own database: BENCH_LOAD_DATABASE_URL, else agentcrm_load on the server of
    DATABASE_URL (when PostgreSQL), else on the local server. Refuses the project's working
    databases and any server not on this machine, since the bench drops the database."""
    url = environ.get("BENCH_LOAD_DATABASE_URL")
    if not url:
        server = environ.get("DATABASE_URL", "")
        if not server.startswith(("postgres://", "postgresql://")):
            server = DEFAULT_SERVER
        url = urlunsplit(urlsplit(server)._replace(path=f"/{DEFAULT_DB}", query=""))
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql"):
        raise LoadBenchError(f"the load bench needs PostgreSQL, not {parts.scheme}")
    if not name or name in FORBIDDEN_DBS or name.startswith("test_"):
        raise LoadBenchError(f"refusing to drop and recreate the database {name!r}")
    if (parts.hostname or "127.0.0.1") not in LOOPBACK:
        raise LoadBenchError(f"the load bench runs on this machine only, not on {parts.hostname}")
    return url


def _connect(url: str, dbname: str):
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=dbname,
        connect_timeout=5,
    )


def _recreate_database(url: str, *, drop_only: bool = False) -> None:
    from psycopg2 import sql

    name = urlsplit(url).path.lstrip("/")
    connection = _connect(url, "postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            if not drop_only:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def _scalars(url: str, *queries: str) -> list:
    connection = _connect(url, urlsplit(url).path.lstrip("/"))
    try:
        with connection.cursor() as cursor:
            values = []
            for query in queries:
                cursor.execute(query)
                values.append(cursor.fetchone()[0])
            return values
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(url: str, static_root: Path) -> dict:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.load.settings",
        DATABASE_URL=url,
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        ALLOWED_HOSTS="127.0.0.1",
        # Production requires them; the bench stores no ID number, so fixed values do.
        FIELD_ENCRYPTION_KEYS="YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OWE=",
        ID_NUMBER_DIGEST_KEY="bench-only-id-digest-key",
        SECURE_SSL_REDIRECT="False",
        BENCH_LOAD_STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",  # 4xx and 5xx reach the server log, nothing else
        PYTHONUNBUFFERED="1",
    )
    return env


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _seed(env: dict, config: dict, work: Path) -> dict:
    log = work / "seed.log"
    with log.open("w") as err:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load.seed"]
            + ["--agents", str(config["users"]), "--clients", str(config["clients"])],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            timeout=300,
        )
    if done.returncode != 0:
        raise LoadBenchError(f"seeding failed ({done.returncode}):\n{_tail(log)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the bench's process dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start_gunicorn(env: dict, config: dict, port: int, log: Path) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "agentcrm.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={config['workers']}",
        f"--worker-class={config['worker_class']}",
        f"--threads={config['threads']}",
        f"--chdir={ROOT}",
        "--timeout=30",
        "--graceful-timeout=5",
        # gunicorn.conf.py (production's) is read too; no recycling in the middle of a phase.
        "--max-requests=0",
        "--log-level=warning",
    ]
    with log.open("w") as out:
        # A session of its own: stopping it stops every worker, whatever happens here.
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def _wait_ready(
    process: subprocess.Popen, url: str, log: Path, *, workers: int = 1, timeout: float = 300
) -> float:
    """Wait until gunicorn answers `url` with 200 `workers` times in a row (each worker has
    imported the project, as far as the port can tell), or fail after `timeout` seconds or
    when gunicorn exits. Returns the seconds it took. No fixed sleep: a busy machine may take
    a minute to import Django in every worker, an idle one a second."""
    began = time.monotonic()
    deadline = began + timeout
    answered = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadBenchError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
        ok = False
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=10) as response:
            ok = response.status == 200
        answered = answered + 1 if ok else 0
        if answered >= workers:
            return round(time.monotonic() - began, 1)
        if not ok:
            time.sleep(0.3)
    raise LoadBenchError(f"gunicorn did not answer {url} within {timeout} s:\n{_tail(log)}")


def _alone(host: str, username: str, *, rounds: int = 12) -> dict:
    """One agent alone on the warm server: log in, then open the dashboard `rounds` times in
    a row (the service time, without the queueing of 50 at once). Also warms the workers."""
    import http.cookiejar
    import statistics
    import urllib.parse

    from .agent import DASHBOARD_URL, LOGIN_URL, PASSWORD, csrf_token, signed_in

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(host + LOGIN_URL, timeout=30) as response:
        token = csrf_token(response.read().decode())
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    data = urllib.parse.urlencode(form).encode()
    with opener.open(host + LOGIN_URL, data=data, timeout=30) as response:
        if not signed_in(response.read().decode()):
            raise LoadBenchError(f"{username} could not log in")
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        with opener.open(host + DASHBOARD_URL, timeout=30) as response:
            response.read()
        samples.append((time.perf_counter() - start) * 1000)
    samples = sorted(samples[2:])  # the first ones warm the worker up
    return {"p50_ms": round(statistics.median(samples)), "max_ms": round(samples[-1])}


def _stop(process: subprocess.Popen | None) -> None:
    """SIGTERM to the process's session (gunicorn and its workers), SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _locust(
    user_class: str, *, host: str, seconds: int, config: dict, work: Path, wait: str = "0"
) -> dict:
    prefix = work / f"{user_class}-wait{wait}"
    users = config["users"]
    command = [
        str(BIN / "locust"),
        f"--locustfile={ROOT / 'bench' / 'load' / 'locustfile.py'}",
        "--headless",
        f"--users={users}",
        f"--spawn-rate={users}",  # everyone starts at once
        f"--run-time={seconds}s",
        "--stop-timeout=10",  # let the rounds under way finish: no request cut in flight
        f"--host={host}",
        f"--csv={prefix}",  # for the failure messages
        f"--json-file={prefix}",  # the final figures
        "--loglevel=WARNING",
        user_class,
    ]
    env = dict(os.environ, BENCH_LOAD_AGENTS=str(users), BENCH_LOAD_WAIT=wait)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = work / f"{user_class}-wait{wait}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            process.wait(timeout=seconds + 60)
        finally:
            _stop(process)
    return read_stats(prefix, log)


def read_stats(prefix: Path, log: Path | None = None) -> dict:
    """Locust's final statistics (`--json-file`: written after the last user stopped; the
    CSV is a snapshot taken every second and misses the last requests), per request name and
    in all, plus the failure messages of its CSV."""
    stats_file = Path(f"{prefix}.json")
    if not stats_file.exists():
        raise LoadBenchError(f"locust wrote no statistics:\n{_tail(log) if log else ''}")
    entries = json.loads(stats_file.read_text())
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(newline="") as handle:
            failures = [
                f"{row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}"
                for row in csv.DictReader(handle)
            ]
    start = min((entry["start_time"] for entry in entries), default=0)
    end = max((entry["last_request_timestamp"] or 0 for entry in entries), default=0)
    seconds = end - start
    return {
        "total": _figures(entries, seconds),
        "by_name": {entry["name"]: _figures([entry], seconds) for entry in entries},
        "failures": failures,
    }


def _figures(entries: list[dict], seconds: float) -> dict:
    """Requests, failures, requests/s (over the phase's `seconds`), median, p95 and max of
    locust entries taken together (their response-time histograms merged, percentiles
    computed as locust does)."""
    times: dict[int, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            times[int(float(ms))] = times.get(int(float(ms)), 0) + count
    requests = sum(entry["num_requests"] for entry in entries)
    measured = sum(times.values())
    return {
        "requests": requests,
        "failures": sum(entry["num_failures"] for entry in entries),
        "rps": round(requests / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": _percentile(times, measured, 0.50),
        "p95_ms": _percentile(times, measured, 0.95),
        "max_ms": round(max((entry["max_response_time"] for entry in entries), default=0)),
    }


def _percentile(times: dict[int, int], count: int, percent: float) -> int:
    """locust.stats.calculate_response_time_percentile (this module must not import locust)."""
    wanted = int(count * percent)
    seen = 0
    for ms in sorted(times, reverse=True):
        seen += times[ms]
        if count - seen <= wanted:
            return ms
    return 0


def server_errors(log: Path) -> list[str]:
    """Lines of the server log that report a failure: Django's log of a 4xx or 5xx answer, a
    traceback, gunicorn's errors (a worker that timed out or died)."""
    django = ("Internal Server Error", "Bad Request", "Forbidden", "Not Found", "Method Not")
    marks = ("Traceback", "[ERROR]", "[CRITICAL]")
    text = log.read_text(errors="replace") if log.exists() else ""
    return [
        line
        for line in text.splitlines()
        if line.startswith(django) or any(mark in line for mark in marks)
    ]


def run(*, report, timed=None) -> None:
    config = settings_from_env()
    try:
        url = database_url()
        _recreate_database(url)
    except Exception as exc:  # no PostgreSQL here: the figure is defined on it
        report("load", skipped=f"{type(exc).__name__}: {exc}"[:150])
        return

    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: no handler, finally still runs

        def _terminated(signum, frame):
            raise SystemExit(128 + signum)

        previous = signal.signal(signal.SIGTERM, _terminated)
    work = Path(tempfile.mkdtemp(prefix="agentcrm-load-"))
    servers: list[subprocess.Popen] = []
    started = time.monotonic()
    try:
        problems = _run(report, config=config, url=url, work=work, servers=servers)
    finally:
        for server in servers:
            _stop(server)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if not config["keep_db"]:
            _recreate_database(url, drop_only=True)
    report("load: whole bench", seconds=round(time.monotonic() - started))
    if problems:
        raise LoadBenchError(f"load bench ({work}): " + "; ".join(problems))
    shutil.rmtree(work, ignore_errors=True)
    # The figure to track, last: the agents' throughput (no think time) over the ceiling's.
    print(f"load ratio agents/ceiling: {config.get('ratio', 0)}", flush=True)


def _run(report, *, config: dict, url: str, work: Path, servers: list) -> list[str]:
    """Seed, serve, load; returns what went wrong (nothing, if all is well)."""
    env = _server_env(url, work / "static")
    seeded = _seed(env, config, work)
    report(
        "load: seed",
        agents=seeded["agents"],
        clients=seeded["clients"],
        policies=seeded["policies"],
        touches=seeded["touches_written"],
        open_shown_per_agent=f"{seeded['open_shown_min']}-{seeded['open_shown_max']}",
        migrate_s=seeded["migrate_s"],
        collectstatic_s=seeded["collectstatic_s"],
        seed_s=seeded["seed_s"],
    )
    baseline = _scalars(url, *COUNTS)
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    server_log = work / "gunicorn.log"
    servers.append(_start_gunicorn(env, config, port, server_log))
    ready_s = _wait_ready(
        servers[-1],
        f"{host}/bench/ping-db",
        server_log,
        workers=config["workers"],
        timeout=config["ready_seconds"],
    )
    report(
        "load: gunicorn",
        bind=f"127.0.0.1:{port}",
        worker_class=config["worker_class"],
        workers=config["workers"],
        threads=config["threads"],
        cpus=os.cpu_count(),
        settings="bench.load.settings",
        ready_s=ready_s,
    )

    report("load: one agent alone, dashboard", **_alone(host, agent_username(config["users"])))
    # The ceiling first, on a server nobody else is using: measured after the agents it
    # would also measure their backlog (requests still queued, the database catching up).
    ceiling = _locust(
        "PingUser", host=host, seconds=config["ceiling_seconds"], config=config, work=work
    )
    report(f"load: ceiling, one-query view, {config['ceiling_seconds']} s", **ceiling["total"])
    phases = [ceiling]
    agents = _locust(
        "AgentUser",
        host=host,
        seconds=config["seconds"],
        config=config,
        work=work,
        wait=config["wait"],
    )
    phases.append(agents)
    total = agents["total"]
    report(
        f"load: {config['users']} agents, {config['seconds']} s, {config['wait']} s think time",
        **total,
    )
    for name in ("dashboard", "touch done", "client list", "login"):
        if name in agents["by_name"]:
            report(f"load:   {name}", **agents["by_name"][name])
    if config["think_seconds"] > 0:
        thinking = _locust(
            "AgentUser",
            host=host,
            seconds=config["think_seconds"],
            config=config,
            work=work,
            wait=config["think"],
        )
        phases.append(thinking)
        report(
            f"load: {config['users']} agents, {config['think_seconds']} s, "
            f"{config['think']} s think time",
            **thinking["total"],
        )
        for name in ("dashboard", "touch done"):
            if name in thinking["by_name"]:
                report(f"load:   {name}", **thinking["by_name"][name])
    ratio = round(total["rps"] / ceiling["total"]["rps"], 3) if ceiling["total"]["rps"] else 0
    report("load: agents rps / ceiling rps", ratio=ratio)
    config["ratio"] = ratio
    _stop(servers[-1])

    # Each done answered closed one touch and logged one contact (a round cut short when
    # locust stopped may have closed one more than it counted).
    answered = 0
    for phase in phases[1:]:
        done = phase["by_name"].get("touch done", {"requests": 0, "failures": 0})
        answered += done["requests"] - done["failures"]
    touches_done, contacts = (
        after - before for after, before in zip(_scalars(url, *COUNTS), baseline, strict=True)
    )
    report(
        "load: database after the run",
        done_answered=answered,
        touches_done=touches_done,
        contacts_logged=contacts,
    )
    errors = server_errors(server_log)
    report("load: server log", error_lines=len(errors))

    problems = [
        f"{phase['total']['failures']} failed requests: {phase['failures'][:5]}"
        for phase in phases
        if phase["total"]["failures"]
    ]
    if errors:
        problems.append("server errors:\n" + "\n".join(errors[:20]))
    if not answered <= touches_done <= answered + config["users"] * (len(phases) - 1):
        problems.append(f"{touches_done} touches done for {answered} done requests answered")
    if contacts != touches_done:
        problems.append(f"{contacts} contacts logged for {touches_done} touches done")
    return problems


def main() -> None:
    def report(name: str, **figures) -> None:
        shown = "  ".join(f"{k}={v}" for k, v in figures.items())
        print(f"{name:<40} {shown}", flush=True)

    try:
        run(report=report)
    except LoadBenchError as exc:
        sys.exit(str(exc))
