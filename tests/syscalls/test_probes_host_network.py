"""--network=host: the TCP/UDP probes print the same natively and through host sockets the
Sentry relays (both platforms)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["socket_inet", "socket_inet_more"])
def test_socket_inet_probe_with_host_network(name: str, sandbox_platform: str, probe,
                                             run_native, run_sandboxed, describe) -> None:
    binary = str(probe(name))
    native = run_native([binary])
    assert native.returncode == 0, describe(native)
    boxed = run_sandboxed(sandbox_platform, [binary], flags=["--network=host"])
    assert boxed.returncode == 0, describe(boxed)
    assert boxed.stdout.decode() == native.stdout.decode(), describe(boxed)
