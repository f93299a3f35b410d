"""Tell the engineer on call: a failed task, or a night not published by its deadline.

Each alert is one log line (always) and, when config/pipeline.yml `alerts.webhook_url` (or
the CITY_ALERT_WEBHOOK_URL environment variable, for URLs holding a token) is set, one
JSON POST `{"text": ..., "kind": ..., ...}` — the shape Slack, Teams and most chat or
paging webhooks accept. A webhook that is down is logged, never raised: an alert must
not turn a green task red or hide the failure it reports.

`on_task_failure` is the DAG's on_failure_callback (after the last retry);
`on_deadline_missed` is its DeadlineAlert callback, run by the executor when a run has not
succeeded within `publish_by` minus the nightly slot after it was queued (02:00 -> 07:00
London is 5 h). Counted from queued, not from the logical date, so that a backfill of
old days is not "late" the moment it starts.
Imported by the DAG file at parse time: standard library only at module level.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from ingest.catalogue import Settings, load_catalogue
from ingest.errors import CatalogueError

__all__ = ["notify", "on_task_failure", "on_deadline_missed", "publish_deadline", "WEBHOOK_ENV"]

log = logging.getLogger(__name__)
WEBHOOK_ENV = "CITY_ALERT_WEBHOOK_URL"


def webhook_url(settings: Settings) -> str | None:
    return os.environ.get(WEBHOOK_ENV) or settings.alerts.webhook_url


def notify(
    kind: str, text: str, details: dict[str, Any] | None = None, settings: Settings | None = None
) -> bool:
    """Log the alert and POST it to the webhook if one is configured; True if delivered (or none configured)."""
    settings = settings or load_catalogue().settings
    log.error("ALERT %s: %s", kind, text)
    url = webhook_url(settings)
    if not url:
        return True
    body = json.dumps({"text": text, "kind": kind, **(details or {})}, default=str).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "city-region-alerts"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.alerts.timeout_s) as reply:
            reply.read()
        return True
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.error(
            "ALERT %s could not be delivered to the webhook (%s): %s", kind, _redacted(url), exc
        )
        return False


def _redacted(url: str) -> str:
    """Webhook URLs carry tokens in their path: name the host only in logs."""
    return re.sub(r"^(\w+://[^/]+).*$", r"\1/…", url)


def on_task_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: which task of which data day failed, why, and where its log is."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    params = context.get("params") or {}
    conf = getattr(dag_run, "conf", None) or {}
    data_day = (
        conf.get("data_day") or params.get("data_day") or _data_day_of(context.get("logical_date"))
    )
    error = context.get("exception")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    where = f"{task_id}[{map_index}]" if map_index not in (None, -1) else task_id
    text = (
        f"city_nightly: task {where} failed for data day {data_day} "
        f"(try {getattr(ti, 'try_number', '?')}): {_one_line(error)}"
    )
    notify(
        "task_failed",
        text,
        {
            "dag_id": getattr(ti, "dag_id", None),
            "task_id": task_id,
            "map_index": map_index,
            "run_id": getattr(ti, "run_id", None),
            "data_day": data_day,
            "try_number": getattr(ti, "try_number", None),
            "error": _one_line(error),
            "log_url": getattr(ti, "log_url", None),
        },
    )


def on_deadline_missed(context: dict[str, Any] | None = None, **_: Any) -> None:
    """DeadlineAlert callback: the run has not succeeded (so nothing new was published) in time."""
    context = context or {}
    run = context.get("dag_run") or {}
    deadline = (context.get("deadline") or {}).get("deadline_time")
    data_day = (run.get("conf") or {}).get("data_day") or _data_day_of(run.get("logical_date"))
    text = (
        f"city_nightly: the warehouse for data day {data_day} was not published by {deadline} "
        f"(run {run.get('dag_run_id') or run.get('run_id')} is {run.get('state')}); analysts see the "
        f"previous night's data"
    )
    notify(
        "publish_deadline_missed",
        text,
        {
            "dag_id": run.get("dag_id"),
            "run_id": run.get("dag_run_id"),
            "data_day": data_day,
            "deadline": deadline,
            "state": run.get("state"),
        },
    )


def publish_deadline(settings: Settings) -> timedelta | None:
    """How long after the nightly slot the warehouse must be published (None: no deadline).

    `publish_by` is a time of day in the schedule's timezone; the slot is the cron's
    minute and hour, so the cron must name one of each ("0 2 * * *").
    """
    if settings.alerts.publish_by is None:
        return None
    fields = settings.cron.split()
    if len(fields) != 5 or not (fields[0].isdigit() and fields[1].isdigit()):
        raise CatalogueError(
            f"alerts.publish_by needs a daily schedule.cron with a fixed minute and hour "
            f'(like "0 2 * * *"), got {settings.cron!r}'
        )
    hour, minute, second = (int(v) for v in f"{settings.alerts.publish_by}:00".split(":")[:3])
    after = (hour * 3600 + minute * 60 + second) - (int(fields[1]) * 3600 + int(fields[0]) * 60)
    return timedelta(seconds=after if after > 0 else after + 24 * 3600)


def _data_day_of(logical_date: Any) -> str | None:
    """The data day a run's logical date stands for (02:00 on D+1 -> D); None without one."""
    if logical_date is None:
        return None
    from pipeline.plan import resolve_data_day

    moment = datetime.fromisoformat(logical_date) if isinstance(logical_date, str) else logical_date
    return resolve_data_day(moment, None)


def _one_line(error: Any) -> str:
    text = (
        f"{type(error).__name__}: {error}"
        if isinstance(error, BaseException)
        else str(error or "unknown error")
    )
    return " ".join(text.split())[:500]
