"""The command line of the local Airflow: start, stop, status, trigger, backfill, airflow <args>.

    python -m pipeline.local_airflow start | stop | status | airflow <args...>
    python -m pipeline.local_airflow trigger DAY [BOROUGH,...]     (one data day)
    python -m pipeline.local_airflow backfill FIRST LAST [--boroughs a,b] [--max-active-runs N]  (data days)

`make airflow` / `make airflow-stop` / `make trigger` / `make airflow-backfill` call these;
`airflow <args>` runs the Airflow CLI against this database (a fresh shell needs nothing
else). `backfill` turns data days into Airflow's dates: the run with logical date 02:00
London on D+1 processes data day D, so data days FIRST..LAST are `--from-date FIRST+1
--to-date LAST+1T02:00` (UTC; 02:00 London is 01:00 or 02:00 UTC, both inside).
The instance itself (PostgreSQL on loopback, scheduler, dag-processor, api-server) is
`LocalAirflow` in pipeline/local_airflow_instance.py, its database pipeline/local_postgres.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from ingest.paths import REPO_ROOT
from pipeline.local_airflow_instance import LocalAirflow
from pipeline.local_postgres import AirflowStartError

__all__ = ["backfill_arguments", "main"]


def backfill_arguments(first: date, last: date) -> list[str]:
    """`airflow backfill create` for data days first..last (each run's logical date is 02:00 the day after)."""
    if last < first:
        raise SystemExit(f"backfill: last data day {last} is before the first {first}")
    return [
        "backfill",
        "create",
        "--dag-id",
        "city_nightly",
        "--from-date",
        (first + timedelta(days=1)).isoformat(),
        "--to-date",
        f"{(last + timedelta(days=1)).isoformat()}T02:00:00",
        "--reprocess-behavior",
        "completed",
    ]


def _from_environment(starting: bool = False) -> LocalAirflow:
    """Settings from the environment (make's variables); later commands reuse what `start` used."""
    home = Path(os.environ.get("AIRFLOW_HOME", REPO_ROOT / ".airflow"))
    if (home / "local-airflow.json").exists():
        remembered = json.loads((home / "local-airflow.json").read_text(encoding="utf-8"))
        previous = LocalAirflow(
            home=home,
            api_port=remembered["api_port"],
            pg_port=remembered["pg_port"],
            users=remembered["users"],
            sandbox_port=remembered["sandbox_port"],
            schedule=remembered["schedule"],
        )
        if (
            not starting or previous.postgres_running()
        ):  # starting again while up: the same instance
            return previous
    return LocalAirflow(
        home=home,
        api_port=int(os.environ.get("AIRFLOW_API_PORT") or 8080),
        pg_port=int(os.environ.get("PG_PORT") or 5433),
        users=os.environ.get("AIRFLOW_USERS") or "admin:admin",
        sandbox_port=int(os.environ.get("SANDBOX_PORT", "8765") or 0) or None,
        schedule=os.environ.get("AIRFLOW_SCHEDULE", "false").lower() in ("1", "true", "yes"),
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv else "status"
    local = _from_environment(starting=command == "start")
    if command == "start":
        try:
            local.start()
        except AirflowStartError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        user, password = local.login()
        print(
            f"Airflow is up: {local.url}  (login {user} / {password}; passwords in {local.passwords_file})"
        )
        print(f"  metadata: PostgreSQL on 127.0.0.1:{local.pg_port} (data in {local.pg_data})")
        if local.sandbox_port:
            print(
                f"  borough API sandbox: http://127.0.0.1:{local.sandbox_port} (SANDBOX_PORT=0: use real APIs)"
            )
        print(
            f"  logs: {local.log_dir}; nightly schedule "
            f"{'on' if local.schedule else 'off (AIRFLOW_SCHEDULE=1 turns it on)'}"
        )
        print("  trigger a day:  make trigger DAY=YYYY-MM-DD [BOROUGHS=camden,barnet]")
        print("  stop:           make airflow-stop")
        return 0
    if command == "stop":
        stopped = local.stop()
        print(f"stopped: {', '.join(stopped) or 'no Airflow process'}; PostgreSQL stopped")
        return 0
    if command == "status":
        for component in local.components:
            pid = local._pid(component)
            print(f"{component}: {'running (pid ' + str(pid) + ')' if pid else 'stopped'}")
        print(f"postgresql: {'running' if local.postgres_running() else 'stopped'}")
        return 0
    if command == "env":
        for key, value in sorted(local.env().items()):
            if (
                key.startswith("AIRFLOW")
                and "SECRET" not in key
                and "FERNET" not in key
                and "CONN" not in key
            ):
                print(f"{key}={value}")
        return 0
    if command == "airflow":
        return subprocess.run([local._airflow(), *argv], env=local.env(), cwd=REPO_ROOT).returncode
    if command == "trigger" and argv:
        conf = {"data_day": date.fromisoformat(argv[0]).isoformat()}
        if len(argv) > 1 and argv[1]:
            conf["boroughs"] = [b.strip() for b in argv[1].split(",") if b.strip()]
        return subprocess.run(
            [local._airflow(), "dags", "trigger", "city_nightly", "--conf", json.dumps(conf)],
            env=local.env(),
            cwd=REPO_ROOT,
        ).returncode
    if command == "backfill" and len(argv) >= 2:
        first, last, rest = date.fromisoformat(argv[0]), date.fromisoformat(argv[1]), argv[2:]
        if "--boroughs" in rest:  # --boroughs a,b: only these boroughs, as the runs' conf
            at = rest.index("--boroughs")
            boroughs = [
                b.strip() for b in (rest[at + 1 : at + 2] or [""])[0].split(",") if b.strip()
            ]
            rest = (
                rest[:at]
                + rest[at + 2 :]
                + (["--dag-run-conf", json.dumps({"boroughs": boroughs})] if boroughs else [])
            )
        command_line = [local._airflow(), *backfill_arguments(first, last), *rest]
        print(" ".join(command_line[1:]), flush=True)
        return subprocess.run(command_line, env=local.env(), cwd=REPO_ROOT).returncode
    print(
        f"unknown command {command!r}: start, stop, status, env, trigger DAY [BOROUGHS], "
        f"backfill FIRST LAST [--max-active-runs N] or airflow <args>",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
