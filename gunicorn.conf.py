"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app``. Every value can be
overridden from the environment (the usual GUNICORN_CMD_ARGS works too)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Synchronous workers: the app does short database work per request. 2 x CPU + 1 by default.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (slow leaks in libraries cannot grow without bound). Not too
# often: at 1,000 requests/s, 2,000 meant a fresh worker (new connections, templates compiled
# again) every 4 s, which showed as 0.5 s latency spikes in the benchmark.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# The app is imported once in the master, then forked: faster start, less memory.
preload_app = True
# Heartbeat files in memory: a slow disk (container overlay) must not kill workers.
_SHM = "/dev/shm"  # noqa: S108  # nosec B108  # a tmpfs for heartbeats, nothing secret
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

# Header limits well under what any legitimate browser sends.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# The app writes one structured JSON line per request (with its request id) itself, so
# gunicorn's access log is off; gunicorn's own messages go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The client address comes from X-Forwarded-For through the app's ProxyFix (PROXY_FIX_HOPS);
# gunicorn itself trusts forwarded headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_protocol = False
# gunicorn's control socket (under $HOME/.gunicorn) is not used; several servers on one machine
# would share it, and the container's user cannot write its home.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "0") != "1"


def post_fork(server, worker):
    """Each worker opens its own database connections (never share the master's)."""
    import sys

    wsgi = sys.modules.get("wsgi")
    if wsgi is None:  # another app (e.g. the benchmark's ceiling) is being served
        return
    from marketplace.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)
