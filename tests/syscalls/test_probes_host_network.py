"""--network=host: the socket probes print the same natively and with --network=host, where
TCP/UDP go through host sockets the Sentry relays, netlink and SIOCGIF* show the host's
interfaces (the probe prints lo only) and AF_UNIX stays in the Sentry (both platforms)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["socket_inet", "socket_inet_more", "socket_netlink",
                                  "socket_unix"])
def test_socket_probe_with_host_network(name: str, sandbox_platform: str, probe, run_native,
                                        run_sandboxed, describe, tmp_path) -> None:
    binary = str(probe(name))
    native = run_native([binary, str(tmp_path / "native")], cwd=tmp_path)
    assert native.returncode == 0, describe(native)
    boxed = run_sandboxed(sandbox_platform, [binary, str(tmp_path / "boxed")],
                          flags=["--network=host"], cwd=tmp_path)
    assert boxed.returncode == 0, describe(boxed)
    assert boxed.stdout.decode() == native.stdout.decode(), describe(boxed)
