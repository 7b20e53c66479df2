"""Networking inside one sandbox (`runsc_py do`), on both platforms: every socket here
lives in the Sentry (loopback TCP/UDP, AF_UNIX); nothing reaches the host's network.

Each test runs a driver script in the sandbox that starts the server and the clients and
prints a summary line; readiness is awaited by retrying, never by sleeping a fixed time.
"""

from __future__ import annotations

import os
import textwrap

import pytest

HTTP_DRIVER = r"""
import os, subprocess, sys, tempfile, time, urllib.request
root = tempfile.mkdtemp()
for i in range(100):
    with open(os.path.join(root, f"f{i}.txt"), "w") as f:
        f.write(f"file {i}\n" * (i + 1))
srv = subprocess.Popen([sys.executable, "-m", "http.server", "8765", "--bind", "127.0.0.1",
                        "--directory", root], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
for _ in range(600):
    try:
        urllib.request.urlopen("http://127.0.0.1:8765/f0.txt", timeout=30).read()
        break
    except OSError:
        time.sleep(0.1)
ok = 0
for i in range(100):
    body = urllib.request.urlopen(f"http://127.0.0.1:8765/f{i}.txt", timeout=30).read()
    ok += body == (f"file {i}\n" * (i + 1)).encode()
srv.terminate()
srv.wait()
print("fetched", ok)
"""

ASYNCIO_DRIVER = r"""
import asyncio

async def handle(reader, writer):
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()

async def client(port, i):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    msg = f"hello {i}\n".encode() * 50
    writer.write(msg)
    await writer.drain()
    got = await reader.readexactly(len(msg))
    writer.close()
    await writer.wait_closed()
    return got == msg

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    results = await asyncio.gather(*(client(port, i) for i in range(200)))
    server.close()
    await server.wait_closed()
    print("echoed", sum(results))

asyncio.run(main())
"""

SCM_RIGHTS_DRIVER = r"""
import os, socket, subprocess, sys, tempfile, time
d = tempfile.mkdtemp()
path, secret = os.path.join(d, "sock"), os.path.join(d, "secret")
with open(secret, "w") as f:
    f.write("passed by fd")
server = subprocess.Popen([sys.executable, "-c", '''
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + ".tmp")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.listen()
c, _ = s.accept()
fd = os.open(sys.argv[2], os.O_RDONLY)
os.unlink(sys.argv[2])  # only the fd leads to the file now
socket.send_fds(c, [b"fd"], [fd])
c.recv(1)
''', path, secret])
while not os.path.exists(path):
    time.sleep(0.05)
c = socket.socket(socket.AF_UNIX)
c.connect(path)
msg, fds, _, _ = socket.recv_fds(c, 10, 1)
print(msg.decode(), os.read(fds[0], 100).decode(), "secret exists:", os.path.exists(secret))
c.close()
server.wait()
"""

# Each receiving end reads through -e (a script on the connection). An nc whose own stdin
# ends first half-closes the connection (the server's stdin is /dev/null in the
# background), and the peer's nc, seeing that EOF, may quit before it has sent what it read
# from its own stdin: with `nc -l > file` the test failed natively 5 times in 40.
NC_DRIVER = r"""
set -e
d=$(mktemp -d)
printf '#!/bin/sh\ncat > %s/in\n' "$d" > $d/recv_in && chmod +x $d/recv_in
printf '#!/bin/sh\ncat > %s/out\n' "$d" > $d/recv_out && chmod +x $d/recv_out
busybox nc -l -p 9101 -e $d/recv_in &
for i in $(seq 600); do
    echo "to server" | busybox nc 127.0.0.1 9101 2>/dev/null && break; sleep 0.1
done
wait
echo "from server" | busybox nc -l -p 9102 &
for i in $(seq 600); do
    busybox nc 127.0.0.1 9102 -e $d/recv_out 2>/dev/null && break; sleep 0.1
done
wait
cat $d/in $d/out
"""
# Debian's busybox is built without `nc -u`: UDP both ways with OpenBSD's nc, each end
# once the sender and once the receiver. UDP to an unbound port is lost, so senders repeat.
NC_UDP_DRIVER = r"""
set -e
d=$(mktemp -d)
nc.openbsd -u -l -W 1 127.0.0.1 9103 > $d/in &
for i in $(seq 600); do
    echo "to server" | nc.openbsd -u -w 0 127.0.0.1 9103 2>/dev/null || true
    [ -s $d/in ] && break; sleep 0.1
done
wait
nc.openbsd -u -l -W 1 127.0.0.1 9104 > $d/out &
for i in $(seq 600); do
    echo "from server" | nc.openbsd -u -w 0 127.0.0.1 9104 2>/dev/null || true
    [ -s $d/out ] && break; sleep 0.1
done
wait
cat $d/in $d/out
"""

UDP_DRIVER = r"""
import socket, subprocess, sys
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", 0))
port = srv.getsockname()[1]
child = subprocess.Popen([sys.executable, "-c", '''
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(("127.0.0.1", int(sys.argv[1])))
c.send(b"ping")
print(c.recv(100).decode())
''', str(port)])
data, addr = srv.recvfrom(100)
srv.sendto(data.replace(b"i", b"o"), addr)
child.wait()
"""


def _python(sandbox_platform: str, run_sandboxed, script: str, **kw):
    return run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", textwrap.dedent(script)],
                         **kw)


def test_http_server_and_urllib_100_files(sandbox_platform: str, run_sandboxed,
                                          describe) -> None:
    p = _python(sandbox_platform, run_sandboxed, HTTP_DRIVER, timeout=600)
    assert (p.stdout, p.returncode) == (b"fetched 100\n", 0), describe(p)


def test_asyncio_echo_200_clients(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = _python(sandbox_platform, run_sandboxed, ASYNCIO_DRIVER, timeout=600)
    assert (p.stdout, p.returncode) == (b"echoed 200\n", 0), describe(p)


def test_scm_rights_between_processes(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = _python(sandbox_platform, run_sandboxed, SCM_RIGHTS_DRIVER)
    assert (p.stdout, p.returncode) == (b"fd passed by fd secret exists: False\n", 0), describe(p)


def test_busybox_nc_both_ways_tcp(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", NC_DRIVER])
    assert (p.stdout, p.returncode) == (b"to server\nfrom server\n", 0), describe(p)


def test_nc_both_ways_udp(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", NC_UDP_DRIVER])
    assert (p.stdout, p.returncode) == (b"to server\nfrom server\n", 0), describe(p)


def test_udp_both_ways(sandbox_platform: str, run_sandboxed, describe) -> None:
    # A connected UDP client and a recvfrom/sendto server, two python processes.
    p = _python(sandbox_platform, run_sandboxed, UDP_DRIVER)
    assert (p.stdout, p.returncode) == (b"pong\n", 0), describe(p)


def test_ip_addr_shows_lo(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/usr/sbin/ip", "addr"])
    assert p.returncode == 0, describe(p)
    assert b"1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536" in p.stdout, describe(p)
    assert b"inet 127.0.0.1/8 scope host lo" in p.stdout, describe(p)
    assert b"inet6 ::1/128 scope host" in p.stdout, describe(p)
    assert p.stdout.count(b": <") == 1, describe(p)  # no other interface


def test_unix_socket_users_and_no_route_out(sandbox_platform: str, run_sandboxed,
                                            describe) -> None:
    # multiprocessing's Manager and forkserver talk over AF_UNIX; with --network=none
    # there is no route off the loopback.
    code = textwrap.dedent("""
        import errno, multiprocessing as mp, socket
        if __name__ == "__main__":
            with mp.Manager() as m:
                d = m.dict(); d["a"] = 1; print(dict(d))
            with mp.get_context("forkserver").Pool(2) as p:
                print(p.map(abs, [-1, -2]))
            try:
                socket.create_connection(("10.1.2.3", 80), timeout=30)
            except OSError as e:
                print(errno.errorcode[e.errno])
    """)
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", code])
    assert (p.stdout, p.returncode) == (b"{'a': 1}\n[1, 2]\nENETUNREACH\n", 0), describe(p)


@pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")
def test_busybox_nc_in_an_oci_container(tmp_path) -> None:
    # The same driver through `runsc_py run` of a bundle (the OCI path sets --network too).
    from tests.runtime.test_oci import Runtime

    rt = Runtime(tmp_path)
    for applet in ("nc", "seq", "mktemp", "chmod", "printf"):
        (rt.bundle / "rootfs/bin" / applet).symlink_to("busybox")
    (rt.bundle / "rootfs/dev").mkdir()
    rt.config["mounts"].append({"destination": "/dev", "type": "tmpfs", "source": "tmpfs"})
    rt.write(args=["sh", "-c", NC_DRIVER])
    try:
        p = rt("run", "net1")
        assert (p.stdout, p.returncode) == (b"to server\nfrom server\n", 0), p.stderr
    finally:
        rt("delete", "--force", "net1")
