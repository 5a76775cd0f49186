"""gunicorn's settings for Leadflow (read from the working directory; each can be overridden on the command line).

Queues are kept short so that above capacity requests wait briefly or not at all, instead of piling up behind
clients that gave up (see `leadflow.core.middleware`, which drops those): a listen backlog of 128 connections,
and per gthread worker at most twice its threads in connections. Work is bounded by `timeout`; a HUP or a
stop lets running requests finish within `graceful_timeout`.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_connections = 2 * threads
backlog = int(os.environ.get("GUNICORN_BACKLOG", "128"))
timeout = 30
graceful_timeout = 20
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
