"""The local PostgreSQL server's parts: its binaries, its account, its first start."""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import tempfile
from pathlib import Path

import asyncpg

from engine.stack.processes import StackError, run_as

DB_NAME = "nuanxin"
DB_USER = "nuanxin"


def postgres_bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version_key)
    if not found:
        raise StackError("PostgreSQL was not found. Install it with: apt-get install postgresql")
    return str(Path(found[-1]).parent)


def _version_key(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def unprivileged_user() -> str | None:
    """PostgreSQL refuses to run as root; use the account the Debian package creates."""
    if os.geteuid() != 0:
        return None
    try:
        ids("postgres")
    except KeyError:
        raise StackError(
            "Running as root needs the 'postgres' account: apt-get install postgresql"
        ) from None
    return "postgres"


def ids(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


async def create_database(url: str) -> None:
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    for attempt in range(100):
        try:
            conn = await asyncpg.connect(admin_url)
            break
        except (OSError, asyncpg.CannotConnectNowError):
            if attempt == 99:
                raise
            await asyncio.sleep(0.1)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME):
            await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await conn.close()


def initdb(bindir: str, data: Path, user: str | None, password: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=data.parent, delete=False) as pw:
        pw.write(password)
    try:
        if user:
            os.chown(pw.name, *ids(user))
        run_as(
            [
                f"{bindir}/initdb",
                "-D",
                str(data),
                "-U",
                DB_USER,
                "-E",
                "UTF8",
                "--locale=C",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pw.name}",
            ],
            user,
        )
    finally:
        os.unlink(pw.name)
