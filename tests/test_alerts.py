"""Alerts reach the configured channel: a log line always, a webhook POST when one is set.

A real HTTP receiver on loopback stands in for the chat/paging webhook.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT
from pipeline import alerts


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "json": json.loads(body),
            }
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook receiver on a free loopback port; yields (url, received messages)."""
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/T0/secret-token", handler
    finally:
        server.shutdown()
        server.server_close()


def _config(tmp_path: Path, change) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    data = yaml.safe_load((target / "pipeline.yml").read_text())
    change(data)
    (target / "pipeline.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return target


@pytest.fixture
def webhook_config(tmp_path, monkeypatch, receiver):
    url, handler = receiver
    config = _config(tmp_path, lambda d: d["alerts"].update({"webhook_url": url, "timeout_s": 5}))
    monkeypatch.setenv("CITY_CONFIG_DIR", str(config))
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    return handler


def _failure_context(error: Exception) -> dict:
    ti = SimpleNamespace(
        dag_id="city_nightly",
        task_id="dbt_build",
        map_index=-1,
        try_number=3,
        run_id="manual__2026-11-23T09:00:00+00:00",
        log_url="http://airflow/log/1",
    )
    return {
        "ti": ti,
        "dag_run": SimpleNamespace(conf={"data_day": "2026-11-22"}),
        "params": {},
        "exception": error,
    }


def test_a_failed_task_is_posted_to_the_webhook_and_logged(webhook_config, caplog):
    """The on-call channel gets which task, which data day, which try and the one-line error."""
    with caplog.at_level(logging.ERROR, logger="pipeline.alerts"):
        alerts.on_task_failure(_failure_context(RuntimeError("dbt build failed;\n  model x: boom")))
    [message] = webhook_config.received
    assert message["content_type"] == "application/json"
    body = message["json"]
    assert body["kind"] == "task_failed"
    assert (body["task_id"], body["data_day"], body["try_number"]) == ("dbt_build", "2026-11-22", 3)
    assert body["error"] == "RuntimeError: dbt build failed; model x: boom"
    assert "dbt_build" in body["text"] and "2026-11-22" in body["text"]
    assert any(
        "ALERT task_failed" in r.getMessage() and "dbt_build" in r.getMessage()
        for r in caplog.records
    )


def test_a_mapped_task_is_named_with_its_index(webhook_config):
    """A failed validate[3] says which mapped instance failed."""
    context = _failure_context(ValueError("bad"))
    context["ti"].task_id, context["ti"].map_index = "validate", 3
    alerts.on_task_failure(context)
    assert "validate[3]" in webhook_config.received[0]["json"]["text"]


def test_a_webhook_that_is_down_is_logged_never_raised(tmp_path, monkeypatch, caplog):
    """An alert channel that is down must not fail the task or hide its error; the token is not logged."""
    config = _config(
        tmp_path,
        lambda d: d["alerts"].update(
            {"webhook_url": "http://127.0.0.1:9/hooks/secret-token", "timeout_s": 2}
        ),
    )
    monkeypatch.setenv("CITY_CONFIG_DIR", str(config))
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    with caplog.at_level(logging.ERROR, logger="pipeline.alerts"):
        delivered = alerts.notify("task_failed", "something failed")
    assert delivered is False
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "could not be delivered" in text and "secret-token" not in text


def test_the_environment_variable_overrides_the_configured_url(monkeypatch, receiver, tmp_path):
    """CITY_ALERT_WEBHOOK_URL keeps a token-bearing URL out of git; it wins over the config's null."""
    url, handler = receiver
    monkeypatch.setenv("CITY_CONFIG_DIR", str(_config(tmp_path, lambda d: None)))
    monkeypatch.setenv(alerts.WEBHOOK_ENV, url)
    assert alerts.notify("test", "hello") is True
    assert [m["json"]["text"] for m in handler.received] == ["hello"]


def test_without_a_webhook_the_alert_is_a_log_line(monkeypatch, tmp_path, caplog):
    """The default config has no webhook: failures are still announced in the task log."""
    monkeypatch.setenv("CITY_CONFIG_DIR", str(_config(tmp_path, lambda d: None)))
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    with caplog.at_level(logging.ERROR, logger="pipeline.alerts"):
        assert alerts.notify("task_failed", "load failed for 2026-11-22") is True
    assert "ALERT task_failed: load failed for 2026-11-22" in caplog.text


def test_a_missed_deadline_names_the_data_day_and_the_run(webhook_config):
    """The deadline callback gets Airflow's context (the run as JSON); the message says what is late."""
    context = {
        "dag_run": {
            "dag_id": "city_nightly",
            "dag_run_id": "scheduled__2026-11-23T02:00:00+00:00",
            "logical_date": "2026-11-23T02:00:00Z",
            "state": "running",
            "conf": {},
        },
        "deadline": {"id": "x", "deadline_time": "2026-11-23T07:00:00+00:00"},
    }
    alerts.on_deadline_missed(context=context)
    body = webhook_config.received[0]["json"]
    assert body["kind"] == "publish_deadline_missed"
    assert body["data_day"] == "2026-11-22"  # the 02:00 run of the 23rd processes the 22nd
    assert "not published by 2026-11-23T07:00" in body["text"]


def test_the_publish_deadline_is_counted_from_the_nightly_slot():
    """publish_by 07:00 with the 02:00 schedule: 5 hours; null: no deadline."""
    settings = load_catalogue().settings
    assert settings.alerts.publish_by == "07:00"
    assert alerts.publish_deadline(settings) == timedelta(hours=5)
    with_seconds = replace(settings, alerts=replace(settings.alerts, publish_by="02:00:20"))
    assert alerts.publish_deadline(with_seconds) == timedelta(seconds=20)
    before_the_slot = replace(settings, alerts=replace(settings.alerts, publish_by="01:59"))
    assert alerts.publish_deadline(before_the_slot) == timedelta(hours=23, minutes=59)


def test_the_dag_carries_the_deadline_and_the_failure_callback():
    """city_nightly: a DeadlineAlert 5 h after queued calling on_deadline_missed; every task alerts on failure."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(str(REPO_ROOT / "dags")).dags["city_nightly"]
    [deadline] = dag.deadline
    assert deadline.interval == timedelta(hours=5)
    assert type(deadline.reference).__name__ == "DagRunQueuedAtDeadline"
    assert deadline.callback.path == "pipeline.alerts.on_deadline_missed"
    for task in dag.tasks:
        callbacks = task.on_failure_callback
        assert alerts.on_task_failure in (
            callbacks if isinstance(callbacks, list) else [callbacks]
        ), task.task_id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a: a.update({"webhook_url": "hooks.example.org/x"}),
            "alerts.webhook_url: expected an http(s) URL",
        ),
        (
            lambda a: a.update({"publish_by": 420}),
            'alerts.publish_by: expected a time of day "HH:MM"',
        ),
        (
            lambda a: a.update({"publish_by": "7am"}),
            'alerts.publish_by: expected a time of day "HH:MM"',
        ),
        (
            lambda a: a.update({"timeout_s": 0}),
            "alerts.timeout_s: expected seconds between 0 and 120",
        ),
        (lambda a: a.update({"webhook": "https://x.org"}), "webhook"),
    ],
)
def test_bad_alert_settings_are_refused_naming_the_key(tmp_path, change, message):
    """A mistake in alerts: stops the catalogue load with the file, the key and what is wrong."""
    config = _config(tmp_path, lambda d: change(d["alerts"]))
    with pytest.raises(CatalogueError, match="pipeline.yml") as raised:
        load_catalogue(config)
    assert message in str(raised.value)
