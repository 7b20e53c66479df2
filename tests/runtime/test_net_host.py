"""--network=host: the sandbox reaches a server on the host's loopback, and the host
reaches a server in the sandbox (both platforms). The host side runs in this process."""

from __future__ import annotations

import socket
import subprocess
import textwrap
import threading

from tests.conftest import _env, _runsc_argv

CLIENT = """
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
c.sendall(b"from the sandbox")
print(c.recv(100).decode())
"""

SERVER = """
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(b"sandbox got: " + c.recv(100))
c.close()
"""


def test_sandbox_reaches_host_server(sandbox_platform: str, run_sandboxed, describe) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(120)

    def serve() -> None:
        c, _ = srv.accept()
        c.sendall(b"host got: " + c.recv(100))
        c.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", textwrap.dedent(CLIENT),
                                         str(srv.getsockname()[1])], flags=["--network=host"])
    th.join(60)
    srv.close()
    assert (p.stdout, p.returncode) == (b"host got: from the sandbox\n", 0), describe(p)


def test_host_reaches_sandbox_server(sandbox_platform: str) -> None:
    argv = _runsc_argv(sandbox_platform, ["/usr/bin/python3", "-c", textwrap.dedent(SERVER)],
                       ["--network=host"])
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=_env()) as p:
        try:
            port = int(p.stdout.readline())
            with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
                c.sendall(b"hello from the host")
                assert c.recv(100) == b"sandbox got: hello from the host"
            assert p.wait(timeout=60) == 0, p.stderr.read()
        finally:
            if p.poll() is None:
                p.kill()


def test_unix_sockets_stay_in_the_sentry(sandbox_platform: str, run_sandboxed,
                                         describe) -> None:
    code = ("import socket; a, b = socket.socketpair(); a.send(b'x'); print(b.recv(1))")
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", code],
                      flags=["--network=host"])
    assert (p.stdout, p.returncode) == (b"b'x'\n", 0), describe(p)


def test_ip_addr_shows_the_hosts_interfaces(sandbox_platform: str, run_native, run_sandboxed,
                                            describe) -> None:
    def names_and_v4(out: bytes) -> set[tuple[str, ...]]:
        rows = set()
        for line in out.decode().splitlines():
            f = line.split()
            if len(f) > 3 and f[2] == "inet":
                rows.add((f[1], f[3]))
        return rows

    native = run_native(["/usr/sbin/ip", "-o", "addr"])
    boxed = run_sandboxed(sandbox_platform, ["/usr/sbin/ip", "-o", "addr"],
                          flags=["--network=host"])
    assert boxed.returncode == 0, describe(boxed)
    assert names_and_v4(boxed.stdout) == names_and_v4(native.stdout), describe(boxed)
