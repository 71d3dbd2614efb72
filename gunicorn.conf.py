"""Gunicorn settings for the web container; gunicorn reads this file from its working directory."""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
# Threads: a long download (a month of the ledger as XLSX takes tens of seconds) holds one
# thread, not a whole worker, and a threaded worker keeps answering its heartbeat meanwhile.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# A worker silent this long is restarted; the default 30 s would cut long exports short.
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
accesslog = "-"
