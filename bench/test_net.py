"""Network benchmarks on every runner side by side (bench/probes/net.c).

tcp_rr: one-byte request/response over loopback TCP (ns per round trip); tcp_bulk: 64 KiB
writes over loopback TCP (ns per 64 KiB: MB/s = 65536e3 / ns); unix_pp: one-byte
ping-pong over a unix socketpair. Inside the sandbox every socket is the Sentry's; native
and proot use the host's. N is fixed per benchmark (RUNSC_BENCH_N_NET_*).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.conftest import build

N_RR = int(os.environ.get("RUNSC_BENCH_N_NET_RR", "2000"))
N_BULK = int(os.environ.get("RUNSC_BENCH_N_NET_BULK", "2000"))
N_PP = int(os.environ.get("RUNSC_BENCH_N_NET_PP", "2000"))


@pytest.fixture(scope="session")
def net_bin() -> Path:
    return build("net")


def test_tcp_request_response(measure, net_bin: Path) -> None:
    measure("tcp_rr", [str(net_bin), "tcp_rr", str(N_RR)])


def test_tcp_bulk_64k(measure, net_bin: Path) -> None:
    measure("tcp_bulk_64k", [str(net_bin), "tcp_bulk", str(N_BULK)])


def test_unix_ping_pong(measure, net_bin: Path) -> None:
    measure("unix_pp", [str(net_bin), "unix_pp", str(N_PP)])
