"""gunicorn settings for branchflow's web API (``gunicorn -c deploy/gunicorn.conf.py service.wsgi:app``).

Every value can be overridden from the environment the systemd unit loads (deploy/branchflow.env).
"""
import multiprocessing
import os

bind = os.environ.get("BRANCHFLOW_BIND", "127.0.0.1:8000")
# sync workers: each request is one short transaction; PostgreSQL takes the concurrency
workers = int(os.environ.get("BRANCHFLOW_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "service.gunicorn_worker.JsonErrorWorker"  # sync, with JSON protocol errors
timeout = int(os.environ.get("BRANCHFLOW_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# recycle workers now and then (bounded memory growth of long-lived processes)
max_requests = 2000
max_requests_jitter = 200
# build the app once in the master; workers fork from it
preload_app = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("BRANCHFLOW_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """Connections opened in the master must not be shared by forked workers."""
    from service.wsgi import app

    app.extensions["branchflow"].db_engine.dispose(close=False)
