"""Test-wide fixtures and the network guard: tests may reach only this machine (loopback, unix sockets)."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkRefused(RuntimeError):
    """Raised when a test tries to reach anything but this machine."""


def _is_local(host: object) -> bool:
    if not isinstance(host, str) or host in ("localhost", ""):
        return isinstance(host, str)
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: object) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _is_local(host):
        raise NetworkRefused(f"tests may not reach {address!r}: only loopback is allowed")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    if host is not None and not _is_local(host if not isinstance(host, bytes) else host.decode()):
        raise NetworkRefused(f"tests may not resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
for _key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TRAITORS_DB"):
    os.environ.pop(_key, None)


def _pg_url() -> str | None:
    return os.environ.get("TEST_PG_URL") or None


DB_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DB_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, and PostgreSQL when TEST_PG_URL is set (skipped otherwise)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'traitors.db'}"
        return
    base = _pg_url()
    if base is None:
        pytest.skip("TEST_PG_URL is not set")
    from sqlalchemy import create_engine, make_url, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
