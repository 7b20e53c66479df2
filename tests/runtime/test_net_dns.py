"""Name resolution inside the sandbox: glibc's resolver reads /etc/hosts, /etc/nsswitch.conf
and /etc/resolv.conf where the workload sees them, from the host (`do`) or from the bundle
(`run`), and queries the nameserver resolv.conf names over the Sentry's UDP.

The bundle test runs its own nameserver in the sandbox on 127.0.0.1:53 (--network=none: the
loopback is all there is), so nothing depends on the host's network or DNS.
"""

from __future__ import annotations

import os
import textwrap

import pytest

from tests.runtime import test_oci
from tests.runtime.test_oci import Runtime

oci_rt = test_oci.rt  # the fixture, under this name here

# A nameserver for one zone, in a thread: A svc.example.test -> 10.1.2.3; NXDOMAIN for
# other names; an empty answer for other types of the name. Then the lookups.
RESOLVE = r"""
import socket, struct, threading

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", 53))
queries = []

def serve():
    while True:
        q, addr = srv.recvfrom(512)
        tid, flags = struct.unpack("!HH", q[:4])
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
            pos += 1 + q[pos]
        qtype = struct.unpack("!H", q[pos + 1:pos + 3])[0]
        question = q[12:pos + 5]
        name = ".".join(labels)
        queries.append((name, qtype))
        if name != "svc.example.test":
            srv.sendto(struct.pack("!HHHHHH", tid, 0x8183, 1, 0, 0, 0) + question, addr)
        elif qtype == 1:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([10, 1, 2, 3])
            srv.sendto(struct.pack("!HHHHHH", tid, 0x8180, 1, 1, 0, 0) + question + answer,
                       addr)
        else:
            srv.sendto(struct.pack("!HHHHHH", tid, 0x8180, 1, 0, 0, 0) + question, addr)

threading.Thread(target=serve, daemon=True).start()
print("hosts file:", socket.gethostbyname("web.bundle.test"))
print("dns:", socket.gethostbyname("svc.example.test"))
print("dns getaddrinfo:", sorted({a[4][0] for a in socket.getaddrinfo("svc.example.test", 80)}))
try:
    socket.gethostbyname("missing.example.test")
except socket.gaierror as e:
    print("missing:", e.errno == socket.EAI_NONAME)
print("asked the nameserver:", ("svc.example.test", 1) in queries,
      ("web.bundle.test", 1) in queries)
"""


def test_hosts_from_the_host(sandbox_platform: str, run_native, run_sandboxed,
                             describe) -> None:
    native = run_native(["getent", "hosts", "localhost"])
    boxed = run_sandboxed(sandbox_platform, ["getent", "hosts", "localhost"])
    assert (boxed.stdout, boxed.returncode) == (native.stdout, 0), describe(boxed)
    code = "import socket; print(socket.gethostbyname('localhost'))"
    boxed = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", code])
    assert (boxed.stdout, boxed.returncode) == (b"127.0.0.1\n", 0), describe(boxed)


def _python_rootfs(r: Runtime) -> None:
    """The busybox rootfs plus the host's /usr (read-only), enough for python3."""
    rootfs = r.bundle / "rootfs"
    for name, target in (("lib", "usr/lib"), ("lib64", "usr/lib64")):
        if os.path.islink(f"/{name}"):
            (rootfs / name).symlink_to(target)
    r.config["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                               "options": ["rbind", "ro"]})
    for name in ("lib", "lib64"):
        if not os.path.islink(f"/{name}") and os.path.isdir(f"/{name}"):
            r.config["mounts"].append({"destination": f"/{name}", "type": "bind",
                                       "source": f"/{name}", "options": ["rbind", "ro"]})


@pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")
@pytest.mark.parametrize("platform", ["seccomp", "ptrace"])
def test_resolv_conf_and_hosts_from_the_bundle(oci_rt: Runtime, platform: str) -> None:
    _python_rootfs(oci_rt)
    etc = oci_rt.bundle / "rootfs" / "etc"
    (etc / "hosts").write_text("127.0.0.1 localhost\n10.9.8.7 web.bundle.test\n")
    (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:30 attempts:1\n")
    (etc / "nsswitch.conf").write_text("hosts: files dns\n")
    oci_rt.write(args=["/usr/bin/python3", "-c", textwrap.dedent(RESOLVE)])
    p = oci_rt("--platform", platform, "run", "dns1", timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [
        "hosts file: 10.9.8.7",
        "dns: 10.1.2.3",
        "dns getaddrinfo: ['10.1.2.3']",
        "missing: True",
        "asked the nameserver: True False",
    ], p.stderr
