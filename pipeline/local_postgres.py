"""The local Airflow's metadata database: a throwaway PostgreSQL cluster on loopback.

SQLite is not fit for a scheduler with parallel work (it dies with "database is locked"
under a backfill), so the metadata database is a throwaway PostgreSQL cluster under
`<AIRFLOW_HOME>/pg`, listening on 127.0.0.1 only, run as the `postgres` user when we are
root (PostgreSQL refuses to run as root). Kept apart from the Airflow processes
(pipeline/local_airflow_instance.py, whose `LocalAirflow` mixes `LocalPostgres` in) because
initdb, pg_ctl and the `postgres` user are a job of their own.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

__all__ = ["AirflowStartError", "LocalPostgres", "postgres_bin"]


class AirflowStartError(RuntimeError):
    """A part of the local Airflow did not start; the message names it and its log."""


def postgres_bin(name: str) -> str:
    """A PostgreSQL server binary (initdb, pg_ctl): Debian keeps them out of PATH."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1]
    if shutil.which(name):
        return shutil.which(name)
    raise AirflowStartError(
        f"PostgreSQL's {name} was not found: install Debian's package "
        f"(`apt-get install -y postgresql`; `make airflow` does it when missing)"
    )


class LocalPostgres:
    """The PostgreSQL half of `LocalAirflow`: uses its pg_dir, pg_data, pg_port and secrets()."""

    def _as_owner(self, command: list[str]) -> list[str]:
        """PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user."""
        if os.geteuid() != 0:
            return command
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise AirflowStartError(
                "running as root needs the `postgres` user (Debian's postgresql package "
                "creates it): `apt-get install -y postgresql`"
            ) from None
        runuser = shutil.which("runuser") or next(
            (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(p)), "runuser"
        )
        return [runuser, "-u", "postgres", "--", *command]

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            self._as_owner([postgres_bin("pg_ctl"), "-D", str(self.pg_data), *args]),
            capture_output=True,
            text=True,
            check=check,
        )

    def postgres_running(self) -> bool:
        return self.pg_data.exists() and self._pg_ctl("status", check=False).returncode == 0

    def start_postgres(self) -> None:
        """initdb once (password auth, loopback only), then pg_ctl start; idempotent."""
        password = self.secrets()["pg_password"]
        self.pg_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.pg_dir, "postgres", "postgres")
            if subprocess.run(self._as_owner(["test", "-w", str(self.pg_dir)])).returncode != 0:
                raise AirflowStartError(
                    f"the postgres user cannot reach {self.pg_dir}: every folder above it must "
                    f"be traversable by others (chmod o+x), or choose another folder"
                )
        if not (self.pg_data / "PG_VERSION").exists():
            pwfile = self.pg_dir / "pwfile"
            pwfile.unlink(missing_ok=True)
            with os.fdopen(
                os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w"
            ) as out:
                out.write(password + "\n")
            if os.geteuid() == 0:
                shutil.chown(pwfile, "postgres", "postgres")
            try:
                done = subprocess.run(
                    self._as_owner(
                        [
                            postgres_bin("initdb"),
                            "-D",
                            str(self.pg_data),
                            "-U",
                            "airflow",
                            "--pwfile",
                            str(pwfile),
                            "--auth-local=scram-sha-256",
                            "--auth-host=scram-sha-256",
                            "-E",
                            "UTF8",
                            "--locale=C",
                        ]
                    ),
                    capture_output=True,
                    text=True,
                )
            finally:
                pwfile.unlink(missing_ok=True)
            if done.returncode != 0:
                raise AirflowStartError(
                    f"initdb of {self.pg_data} failed:\n{done.stdout}{done.stderr}"
                )
        if self.postgres_running():
            self._create_database(password)
            return
        options = f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {self.pg_dir} -c max_connections=200"
        log = self.pg_dir / "postgres.log"
        done = self._pg_ctl("start", "-w", "-t", "60", "-l", str(log), "-o", options, check=False)
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise AirflowStartError(
                f"PostgreSQL did not start on 127.0.0.1:{self.pg_port} "
                f"(port taken? set PG_PORT):\n{done.stderr}{tail}"
            )
        self._create_database(password)

    def _create_database(self, password: str) -> None:
        import psycopg2

        con = psycopg2.connect(
            host="127.0.0.1",
            port=self.pg_port,
            user="airflow",
            password=password,
            dbname="postgres",
        )
        try:
            con.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with con.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = 'airflow'")
                if cur.fetchone() is None:
                    cur.execute("create database airflow")
        finally:
            con.close()

    def stop_postgres(self) -> None:
        if self.postgres_running():
            self._pg_ctl("stop", "-m", "fast", "-w", check=False)
