"""Helpers for the scaling-out tests: a reconstructable job and a throwaway PostgreSQL server.

`process_video_job` lives in an importable module (not a test module) so that
`dg.reconstructable` can rebuild it inside each step's subprocess. `postgres_server`
runs Debian's PostgreSQL binaries (`apt-get install postgresql`) on a free loopback
port in a temporary cluster; PostgreSQL refuses to run as root, so as root the cluster
belongs to the `postgres` user the package creates.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PG_SUPERUSER = "dagster"


def process_video_job() -> dg.JobDefinition:
    """The `process_video` job as the Definitions build it, in whatever process calls this."""
    from vid2learn_dagster.definitions import build_definitions

    return build_definitions().resolve_job_def("process_video")


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    username: str
    password: str
    db_name: str

    def env(self) -> dict[str, str]:
        """The variables `deploy/dagster.postgres.yaml` reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": self.username,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db_name,
        }

    def connect(self):  # type: ignore[no-untyped-def]
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.username,
            password=self.password,
            dbname=self.db_name,
        )


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/").glob(PG_BIN_GLOB.lstrip("/")), key=lambda p: p.parent.name)
    return candidates[-1] if candidates else None


def _cluster_owner() -> str | None:
    """Who runs the server: this user, or `postgres` when this is root (None: nobody can)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        pytest.skip("running as root and no `postgres` user exists to own the cluster")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def postgres_server(db_name: str = "vid2learn") -> Iterator[PostgresServer]:
    """Start a fresh PostgreSQL cluster on 127.0.0.1 with one database; remove it afterwards."""
    pg_bin = _pg_bin()
    if pg_bin is None or not (pg_bin / "pg_ctl").is_file():
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    pytest.importorskip("dagster_postgres", reason="pip install dagster-postgres")
    owner = _cluster_owner()
    # Not under pytest's tmp_path: that is private to root, and the owner must reach it.
    folder = Path(tempfile.mkdtemp(prefix="vid2learn-pg-"))
    password = secrets.token_hex(12)
    (folder / "pwfile").write_text(password + "\n")
    if owner:
        shutil.chown(folder, owner)
        shutil.chown(folder / "pwfile", owner)

    def as_owner(*cmd: str | Path) -> None:
        subprocess.run([str(c) for c in cmd], check=True, capture_output=True, user=owner)

    data = folder / "data"
    port = _free_port()
    server = PostgresServer("127.0.0.1", port, PG_SUPERUSER, password, db_name)
    try:
        as_owner(
            pg_bin / "initdb",
            "-D", data, "-U", PG_SUPERUSER, f"--pwfile={folder / 'pwfile'}",
            "--auth=scram-sha-256", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        as_owner(pg_bin / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60",
                 "-o", options, "start")  # fmt: skip
        import psycopg2

        admin = psycopg2.connect(
            host=server.host, port=port, user=PG_SUPERUSER, password=password, dbname="postgres"
        )
        admin.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{db_name}"')
        admin.close()
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            as_owner(pg_bin / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
