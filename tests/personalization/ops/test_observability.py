"""Metrics and health: the endpoint a process serves moves when the service records events, and
logs can be JSON lines."""

import io
import json
import logging
import re
import urllib.error
import urllib.request

import pytest

from personalization import observability
from personalization.errors import CineSyncError
from personalization.logging_setup import configure_logging


def scrape(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # the text sorts them
    pattern = rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? (\S+)$" if wanted else rf"^{re.escape(name)} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.fixture(scope="module")
def endpoint():
    server = observability.serve(0)  # once per process; port 0: a free one
    return server.url


def test_a_rating_moves_the_counters_the_endpoint_serves(endpoint, service, small_catalogue):
    before = scrape(endpoint)
    service.rate(7, small_catalogue[0].id, 4.5)
    service.feedback(7, small_catalogue[1].id, "love")
    service.recommend(7, 3)
    with pytest.raises(CineSyncError):
        service.rate(7, 999_999, 3.0)  # an unknown film
    after = scrape(endpoint)
    assert (
        value(after, "cinesync_events_total", kind="rating")
        == value(before, "cinesync_events_total", kind="rating") + 1
    )
    assert value(after, "cinesync_events_total", kind="love") == value(before, "cinesync_events_total", kind="love") + 1
    for verb, more in (("rate", 2), ("feedback", 1), ("recommend", 1)):
        count = "cinesync_verb_duration_seconds_count"
        assert value(after, count, verb=verb) == value(before, count, verb=verb) + more, verb
    assert value(after, "cinesync_errors_total", verb="rate", kind="UnknownFilm") >= 1
    # read from the open service when scraped
    assert value(after, "cinesync_cache_entries", cache="vectors") >= 1
    assert value(after, "cinesync_pool", stat="pool_max") >= 1
    assert f'cinesync_model_info{{version="{service.model_settings.version}"}} 1.0' in after
    assert "cinesync_model_age_seconds" in after and "process_cpu_seconds_total" in after


def test_healthz_answers_and_unknown_paths_say_where_to_look(endpoint, service):
    with urllib.request.urlopen(endpoint + "/healthz", timeout=10) as response:
        body = json.loads(response.read())
    assert response.status == 200 and body["status"] == "ok" and "ok" in body["databases"]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(endpoint + "/nothing", timeout=10)
    assert err.value.code == 404


def test_start_from_env_checks_the_port():
    assert observability.start_from_env({}) is None
    with pytest.raises(CineSyncError, match="CINESYNC_METRICS_PORT must be a port number"):
        observability.start_from_env({"CINESYNC_METRICS_PORT": "metrics"})


def test_json_logs_are_one_object_per_line():
    out = io.StringIO()
    handler = configure_logging(logging.INFO, env={"CINESYNC_LOG_FORMAT": "json"}, stream=out)
    try:
        logging.getLogger("cinesync.test").info("rated %s", "Alien", extra={"user": 7})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("cinesync.test").exception("failed")
        first, second = (json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{"))
        assert first["message"] == "rated Alien" and first["level"] == "INFO" and first["user"] == 7
        assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]
        # a second call replaces the handler instead of doubling every line
        assert configure_logging(logging.INFO, env={}, stream=out) is not handler
        assert sum(isinstance(h, type(handler)) for h in logging.getLogger().handlers) == 1
    finally:
        logging.getLogger().removeHandler(logging.getLogger().handlers[-1])
    with pytest.raises(CineSyncError, match="CINESYNC_LOG_FORMAT must be text or json"):
        configure_logging(env={"CINESYNC_LOG_FORMAT": "xml"})


@pytest.mark.slow
def test_a_real_server_process_counts_a_rating_in_its_metrics(demo_db_url, demo_service, tmp_path):
    """`cinesync serve` as its own process: a rating through the API moves the engine's counters
    on the API's /metrics and on the process's CINESYNC_METRICS_PORT."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINESYNC_")}
    env.update(
        CINESYNC_DATABASE_URL=demo_db_url,
        CINESYNC_HOME=str(tmp_path / "home"),
        OPENBLAS_NUM_THREADS="1",
        CINESYNC_METRICS_PORT=str(metrics_port),
    )
    command = [sys.executable, "-c", "from personalization.cli import main; main()", "serve", "--open"]
    proc = subprocess.Popen([*command, "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "cinesync serve did not start"
                time.sleep(0.2)
        user = demo_service.users("", 1)[0]["id"]
        film = next(f.id for f in demo_service.catalogue().films if f.id not in demo_service.history(user)[1])
        before = value(scrape(base), "cinesync_events_total", kind="rating")
        put = urllib.request.Request(
            f"{base}/users/{user}/ratings/{film}",
            data=b'{"stars": 4}',
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        assert urllib.request.urlopen(put, timeout=30).status == 200
        after = scrape(base)
        assert value(after, "cinesync_events_total", kind="rating") == before + 1
        assert value(after, "cinesync_verb_duration_seconds_count", verb="rate") >= 1
        assert "cinesync_http_requests_total" in after  # the API's own figures are still there
        # The same engine figures on the process's metrics port, with its health check.
        on_port = f"http://127.0.0.1:{metrics_port}"
        assert value(scrape(on_port), "cinesync_events_total", kind="rating") == before + 1
        with urllib.request.urlopen(on_port + "/healthz", timeout=10) as response:
            assert json.loads(response.read())["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
