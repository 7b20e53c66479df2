"""Loopback networking, measured in the guest (bench/probes/net.c): one-byte TCP
request/response with a child (ns per round trip) and TCP bulk in 64 KiB writes (ns per
MiB; the report shows MiB/s). Inside the sandbox these sockets are the Sentry's own
loopback; native and proot use the host's. (Unix-socket ping-pong is in test_latency.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.conftest import build, n_iter


@pytest.fixture(scope="session")
def net_bin() -> Path:
    return build("net")


def test_tcp_request_response(interleaved, net_bin: Path) -> None:
    n = n_iter(2000)
    interleaved("tcp request/response", [str(net_bin), "tcp_rr", str(n)], kind="latency",
                unit="ns", what=f"`net tcp_rr {n}`: 1-byte round trips over loopback TCP")


def test_tcp_bulk(interleaved, net_bin: Path) -> None:
    n = n_iter(64)
    interleaved("tcp bulk", [str(net_bin), "tcp_bulk", str(n)], kind="throughput",
                unit="ns/MiB", what=f"`net tcp_bulk {n}`: {n} MiB in 64 KiB writes")
