"""A slowloris against the real daemon over loopback: while 200 connections from 127.0.0.1 hold
unfinished request heads and ``max_connections = 200``, ``/api/v1/health`` from 127.0.0.2 answers 200
within a second, every time (``max_connections_per_address`` lets the 200 hold 128 slots)."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from .daemon import running

CONFIG = """[server]
max_connections = 200
[exchange]
tick_interval_ms = 1000
[liquidity]
enabled = false
"""
SLOW_HEAD = b"GET /api/v1/health HTTP/1.1\r\nHost: sim\r\nX-Slow: "
OTHER = "127.0.0.2"


def loopback_alias_usable() -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((OTHER, 0))
        except OSError:
            return False
    return True


@pytest.mark.skipif(not loopback_alias_usable(), reason="127.0.0.2 cannot be bound here")
def test_slow_heads_from_one_address_never_keep_another_address_out(tmp_path):
    with running(tmp_path, CONFIG) as daemon:
        slow = []
        try:
            for _ in range(200):
                connection = socket.create_connection(("127.0.0.1", daemon.port), timeout=5)
                connection.sendall(SLOW_HEAD)
                slow.append(connection)
            for attempt in range(20):
                started = time.monotonic()
                client = http.client.HTTPConnection(
                    "127.0.0.1", daemon.port, timeout=1, source_address=(OTHER, 0)
                )
                try:
                    client.request("GET", "/api/v1/health")
                    response = client.getresponse()
                    response.read()
                finally:
                    client.close()
                assert response.status == 200, attempt
                assert time.monotonic() - started < 1.0, attempt
                for connection in slow:  # another header byte from each that is still open
                    try:
                        connection.send(b"x")
                    except OSError:
                        pass  # refused (503) and closed by the daemon
        finally:
            for connection in slow:
                connection.close()
