"""Real Celery workers for the fault tests, with test-only knobs read from the environment.

Run as `python -m tests.faults_worker <worker arguments>`: the project's worker, except that

- tasks it sends go through the broker (the test settings run them eagerly in-process),
  to FAULTS_QUEUE when set, so the batches a build fans out stay on the test's own queue;
- with FAULTS_SLOW_FLAG=<path>, while that file exists each touch INSERT … SELECT of the
  build first waits FAULTS_SLOW_SECONDS, so a test can kill the worker in the middle of a
  batch, or make two builds overlap;
- FAULTS_VISIBILITY_TIMEOUT (seconds) is how long Redis keeps an unacknowledged message
  from other workers; the sweep that hands such messages out again runs every second.

The helpers below start and stop such workers from a test.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _slow_build(flag: str, seconds: float) -> None:
    from touches import build

    real = build.insert_select

    def slow(qs):
        if os.path.exists(flag):
            time.sleep(seconds)
        return real(qs)

    build.insert_select = slow


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentcrm.settings.test")
    import django

    django.setup()
    from agentcrm.celery import app

    app.conf.task_always_eager = False
    if queue := os.environ.get("FAULTS_QUEUE"):
        app.conf.task_default_queue = queue
    options = dict(app.conf.broker_transport_options or {})
    if timeout := os.environ.get("FAULTS_VISIBILITY_TIMEOUT"):
        options.update(
            visibility_timeout=float(timeout),
            unacked_restore_interval=1,
            unacked_restore_throttle=1,
        )
    app.conf.broker_transport_options = options
    if flag := os.environ.get("FAULTS_SLOW_FLAG"):
        _slow_build(flag, float(os.environ.get("FAULTS_SLOW_SECONDS", "0.5")))
    app.worker_main(argv=argv)


# -- used by the tests ---------------------------------------------------------------------


def start_worker(
    *,
    queue: str,
    log: Path,
    database_url: str,
    pool: str = "solo",
    env: dict[str, str] | None = None,
    name: str = "w",
) -> subprocess.Popen:
    """A worker consuming `queue` only, in its own process group."""
    environment = dict(os.environ)
    environment.update(
        DJANGO_SETTINGS_MODULE="agentcrm.settings.test",
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        FAULTS_QUEUE=queue,
        **(env or {}),
    )
    args = [
        "worker", f"--pool={pool}", "-c", "1", "--without-heartbeat", "--without-gossip",
        "--without-mingle", "-Q", queue, "-n", f"{name}-{queue}@%h", "--loglevel=info",
    ]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults_worker", *args],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown, then SIGKILL for the whole group if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(process)
    else:
        kill_group(process)  # leftover pool children, if any


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces, so split after its ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def wait_for(condition, *, timeout: float, what: str, logs: list[Path] = ()) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            text = "\n".join(f"--- {log}:\n{log.read_text(errors='replace')}" for log in logs)
            raise AssertionError(f"timed out waiting for {what}\n{text}")
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1:])
