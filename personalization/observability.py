"""Prometheus metrics and a health check for every long-running process (bot, dashboard, HTTP
server, trainer), in one place.

What is measured:

* ``cinesync_events_total{kind}``: ratings and feedback recorded by this process (kind
  ``rating``, ``love``, ``like``, ...);
* ``cinesync_verb_duration_seconds{verb}``: how long ``rate``, ``feedback``, ``recommend`` and
  ``what_if`` took (a histogram), and ``cinesync_errors_total{verb,kind}``: what they raised;
* ``cinesync_trainer_duration_seconds{stage}``: for the trainer to record its fits into;
* read when scraped, from each open ``Service`` (``watch``): cache entries, hits and misses,
  the connection pool's counters, the model settings' version, the published model version
  served and its age.

The service records into it through the ``observed`` decorator on its verbs; nothing here imports
a front-end or the service itself. ``prometheus-client`` is optional: without it every hook is a
no-op, and asking for the endpoint (``CINESYNC_METRICS_PORT``) says which extra to install.

``serve(port)`` (or ``start_from_env()``, which reads ``CINESYNC_METRICS_PORT`` and
``CINESYNC_METRICS_HOST``) answers ``GET /metrics`` (Prometheus text) and ``GET /healthz``
(200 ``{"status": "ok"}`` when every watched service reaches its database, else 503) on a thread
of its own. The HTTP API keeps its own ``/metrics`` route and adds ``render()`` to it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from personalization.errors import CineSyncError

__all__ = [
    "AVAILABLE",
    "REGISTRY",
    "observed",
    "record_event",
    "record_error",
    "watch",
    "render",
    "health",
    "serve",
    "start_from_env",
    "MetricsServer",
    "trainer_timer",
]

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

try:
    import prometheus_client as _prom
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
except ImportError:  # the engine alone: metrics are off, hooks cost nothing
    _prom = None  # type: ignore[assignment]

AVAILABLE = _prom is not None
NEED = (
    "CINESYNC_METRICS_PORT is set but prometheus-client is not installed: "
    "pip install 'cinesync-personalization[api]' (or unset CINESYNC_METRICS_PORT)"
)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

_services: weakref.WeakSet[Any] = weakref.WeakSet()
_first_seen: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


class _ServiceCollector:
    """Figures read from each watched service when Prometheus scrapes (nothing kept between)."""

    def collect(self) -> Iterator[Any]:
        entries = GaugeMetricFamily("cinesync_cache_entries", "Entries in a cache", labels=["cache"])
        hits = CounterMetricFamily("cinesync_cache_hits", "Cache lookups that found their entry", labels=["cache"])
        misses = CounterMetricFamily("cinesync_cache_misses", "Cache lookups that missed", labels=["cache"])
        pool = GaugeMetricFamily(
            "cinesync_pool", "The connection pool's figures (psycopg_pool get_stats)", labels=["stat"]
        )
        model = GaugeMetricFamily(
            "cinesync_model_info", "The model settings' version and the base models in the blend", labels=["version"]
        )
        age = GaugeMetricFamily(
            "cinesync_model_age_seconds",
            "Seconds since the collaborative models served were published (before any is: since the scorer was built)",
        )
        published = GaugeMetricFamily(
            "cinesync_model_published_version", "The published model version served (0: none yet)"
        )
        services = GaugeMetricFamily("cinesync_services", "Open services in this process")
        n = 0
        for svc in _open_services():
            n += 1
            engine = svc.engine
            for name, cache in (("vectors", engine.vectors), ("profiles", engine.profiles)):
                entries.add_metric([name], len(cache))
                hits.add_metric([name], cache.hits)
                misses.add_metric([name], cache.misses)
            try:
                stats = svc.db.pool.get_stats()
            except Exception:  # a closed pool
                stats = {}
            for stat, value in stats.items():
                pool.add_metric([stat], float(value))
            model.add_metric([engine.model_settings.version], 1.0)
            scorer = engine.fitted_scorer
            version = getattr(getattr(engine, "served", None), "version", None)  # `cinesync train`'s
            if version is not None:
                published.add_metric([], float(version.id))
                age.add_metric([], max(0.0, time.time() - version.created_at.timestamp()))
            elif scorer is not None:
                published.add_metric([], 0.0)
                built = _first_seen.setdefault(scorer, time.time())
                age.add_metric([], max(0.0, time.time() - built))
        services.add_metric([], n)
        yield from (entries, hits, misses, pool, model, published, age, services)


if _prom is not None:
    REGISTRY: Any = _prom.CollectorRegistry()
    _prom.ProcessCollector(registry=REGISTRY)
    _prom.PlatformCollector(registry=REGISTRY)
    EVENTS: Any = _prom.Counter(
        "cinesync_events", "Ratings and feedback recorded, by kind", ["kind"], registry=REGISTRY
    )
    LATENCY: Any = _prom.Histogram(
        "cinesync_verb_duration_seconds",
        "Time a service verb took",
        ["verb"],
        registry=REGISTRY,
        buckets=LATENCY_BUCKETS,
    )
    ERRORS: Any = _prom.Counter(
        "cinesync_errors", "Errors raised by service verbs, by kind", ["verb", "kind"], registry=REGISTRY
    )
    TRAINER: Any = _prom.Histogram(
        "cinesync_trainer_duration_seconds",
        "Time a trainer stage took",
        ["stage"],
        registry=REGISTRY,
        buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    )
    REGISTRY.register(_ServiceCollector())
else:
    REGISTRY = EVENTS = LATENCY = ERRORS = TRAINER = None


def record_event(kind: str) -> None:
    if EVENTS is not None:
        EVENTS.labels(kind).inc()


def record_error(verb: str, exc: BaseException) -> None:
    if ERRORS is not None:
        ERRORS.labels(verb, type(exc).__name__).inc()


def observed(verb: str, event: str | Callable[[Any], str] | None = None) -> Callable[[F], F]:
    """Time a service verb, count what it raises by exception class and, with ``event``, count
    the event it recorded (a kind, or a function of the verb's result that names it)."""

    def wrap(func: F) -> F:
        if _prom is None:
            return func
        timer = LATENCY.labels(verb)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                record_error(verb, exc)
                raise
            finally:
                timer.observe(time.perf_counter() - started)
            if event is not None:
                record_event(event if isinstance(event, str) else event(result))
            return result

        return run  # type: ignore[return-value]

    return wrap


class trainer_timer:
    """``with trainer_timer("fit"):`` records how long a trainer stage took."""

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def __enter__(self) -> trainer_timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if TRAINER is not None:
            TRAINER.labels(self.stage).observe(time.perf_counter() - self.started)


def _open_services() -> list[Any]:
    """The watched services whose pool is still open (a closed one is gone in all but memory)."""
    return [svc for svc in list(_services) if not getattr(svc.db.pool, "closed", False)]


def watch(service: Any) -> None:
    """Report this service's caches, pool and model when scraped (held weakly: a closed and
    dropped service disappears by itself)."""
    _services.add(service)


def render() -> bytes:
    """The metrics in Prometheus' text format (empty without prometheus-client)."""
    return b"" if _prom is None else bytes(_prom.generate_latest(REGISTRY))


def health() -> tuple[bool, dict[str, Any]]:
    """Whether every watched service reaches its database (a pooled ``SELECT 1``)."""
    from personalization.storage.ops import ping

    checks = []
    for svc in _open_services():
        try:
            ping(svc.db.pool, timeout=3.0)
            checks.append("ok")
        except Exception as exc:  # any failure means: not healthy
            checks.append(f"down: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}")
    ok = all(c == "ok" for c in checks)
    return ok, {"status": "ok" if ok else "unavailable", "databases": checks, "pid": os.getpid()}


class _Handler(BaseHTTPRequestHandler):
    server_version = "cinesync-metrics"

    def do_GET(self) -> None:  # noqa: N802 (the http.server spelling)
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, render(), _prom.CONTENT_TYPE_LATEST if _prom else "text/plain")
        elif path == "/healthz":
            ok, body = health()
            self._send(200 if ok else 503, json.dumps(body).encode(), "application/json")
        else:
            self._send(404, b'{"error": "not_found", "message": "try /metrics or /healthz"}', "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds: not logged
        pass


class MetricsServer:
    """The endpoint on its own daemon thread; ``port`` is the one bound (0 picks a free one)."""

    def __init__(self, host: str, port: int) -> None:
        try:
            self.httpd = ThreadingHTTPServer((host, port), _Handler)
        except OSError as exc:
            raise CineSyncError(
                f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}; "
                "set CINESYNC_METRICS_PORT to a free port"
            ) from None
        self.httpd.daemon_threads = True
        self.host, self.port = host, int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="cinesync-metrics", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_server: MetricsServer | None = None
_server_lock = threading.Lock()


def serve(port: int, host: str = "127.0.0.1") -> MetricsServer:
    """Serve /metrics and /healthz; once per process (a second call returns the first server)."""
    global _server
    if _prom is None:
        raise CineSyncError(NEED)
    with _server_lock:
        if _server is None:
            _server = MetricsServer(host, port)
            log.info("metrics on %s/metrics, health on %s/healthz", _server.url, _server.url)
        return _server


def start_from_env(env: Mapping[str, str] | None = None) -> MetricsServer | None:
    """``serve`` on CINESYNC_METRICS_PORT (and CINESYNC_METRICS_HOST, default 127.0.0.1; use
    0.0.0.0 in a container) if it is set; None when it is not."""
    env = os.environ if env is None else env
    raw = (env.get("CINESYNC_METRICS_PORT") or "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        raise CineSyncError(f"CINESYNC_METRICS_PORT must be a port number (0-65535), got {raw!r}") from None
    return serve(port, (env.get("CINESYNC_METRICS_HOST") or "127.0.0.1").strip())
