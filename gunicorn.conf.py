"""gunicorn's settings for production (read from the working directory: `gunicorn
agentcrm.wsgi` started in the project's root picks it up; `-c gunicorn.conf.py` elsewhere).

The pages are CPU-bound (template rendering and the ORM; the database answers in a few ms):
one process per core runs them as fast as the cores allow, plus one to cover the time a
process waits on the database. Threads would not run Python on more cores (the GIL) but let
a worker overlap its database waits; `bench.load` measures both on this machine (README,
"Web"): the sync workers are the default because threads bought nothing there. Override with
the environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS (more than 1: gthread),
GUNICORN_BIND.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A request over 30 s is stuck (the slowest page takes well under a second): the worker is
# replaced, and its request answered 502 by the proxy.
timeout = 30
graceful_timeout = 30
# Recycle a worker now and then, staggered, so no slow growth of memory lasts.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file in memory: a worker on a busy disk is not taken for a dead one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The reverse proxy logs the requests; gunicorn logs its own errors.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
