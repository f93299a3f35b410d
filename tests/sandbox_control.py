"""Small helpers for tests to drive the sandbox's fault and request-log endpoints."""

from __future__ import annotations

import requests


def add_fault(sandbox, **fault) -> None:
    reply = requests.post(f"{sandbox.url}/_sandbox/faults", json=fault, timeout=5)
    assert reply.status_code in (200, 201), reply.text


def clear_faults(sandbox) -> None:
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5).raise_for_status()


def request_log(sandbox) -> list[dict]:
    reply = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=5)
    reply.raise_for_status()
    body = reply.json()
    return body["requests"] if isinstance(body, dict) else body


def clear_request_log(sandbox) -> None:
    requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=5).raise_for_status()
