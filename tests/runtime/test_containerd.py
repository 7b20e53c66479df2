"""End to end with the real containerd and its runc v2 shim, runsc_py as the runtime
binary (what `BinaryName` in a runtime handler does). The test starts its own containerd
(temporary root, state and socket) and imports a busybox image it builds itself."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.runtime import oci_image

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="containerd needs root"),
    pytest.mark.skipif(not (shutil.which("containerd") and shutil.which("ctr")
                            and shutil.which("containerd-shim-runc-v2")),
                       reason="containerd is not installed (scripts/install-deps.sh)"),
]
NS = "runscpy"
IMAGE = "localhost/busybox:test"
TIMEOUT = 120


def wrapper_script(path: Path) -> Path:
    """What BinaryName points at: runsc_py from this repo, with this Python."""
    path.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m runsc_py \"$@\"\n")
    path.chmod(0o755)
    return path


CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
"""


class Containerd:
    def __init__(self, d: Path, config: str = CONFIG, namespace: str = NS) -> None:
        self.d = d
        self.ns = namespace
        self.runtime = wrapper_script(d / "runsc_py")
        (d / "config.toml").write_text(config.format(d=d, runtime=self.runtime))
        self.log = open(d / "containerd.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(["containerd", "--config", str(d / "config.toml")],
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT
        while self.ctr("version").returncode != 0:
            assert self.proc.poll() is None, (d / "containerd.log").read_text()
            assert time.monotonic() < deadline, "containerd did not start"
            time.sleep(0.2)

    def ctr(self, *args: str, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("capture_output", True)
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(["ctr", "--address", str(self.d / "c.sock"), "-n", self.ns, *args],
                              **kw)

    def run_args(self, *flags: str) -> list[str]:
        return ["run", "--snapshotter", "native", "--runc-binary", str(self.runtime),
                "--runc-root", str(self.d / "runc-root"), *flags]

    def stop(self) -> None:
        for task in self.ctr("task", "ls", "-q").stdout.decode().split():
            self.ctr("task", "kill", "--all", "--signal", "KILL", task)
            self.ctr("task", "delete", "--force", task)
        for c in self.ctr("container", "ls", "-q").stdout.decode().split():
            self.ctr("container", "delete", c)
        for h in Path("/sys/fs/cgroup").glob(f"*/{NS}"):  # ours only, never k8s.io
            try:
                h.rmdir()  # the namespace's parent cgroup, once empty
            except OSError:
                pass
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def ctrd(tmp_path_factory):
    d = tmp_path_factory.mktemp("ctrd")
    c = Containerd(d)
    try:
        tarball = d / "busybox.tar"
        oci_image.build(tarball, IMAGE)
        p = c.ctr("images", "import", "--snapshotter", "native", str(tarball))
        assert p.returncode == 0, p.stderr.decode()
        yield c
    finally:
        c.stop()


def out(p: subprocess.CompletedProcess) -> str:
    return f"status {p.returncode}\nstdout: {p.stdout!r}\nstderr: {p.stderr!r}"


def test_ctr_run_prints_and_exits_with_the_workloads_code(ctrd) -> None:
    p = ctrd.ctr(*ctrd.run_args("--rm"), IMAGE, "run1", "sh", "-c",
                 "echo hello from runsc_py; hostname; ps; exit 7")
    assert p.returncode == 7, out(p)
    lines = p.stdout.decode().splitlines()
    assert lines[0] == "hello from runsc_py", out(p)
    # Inside: the container's view (pid 1 is the workload, no host processes).
    assert [x.split()[0] for x in lines[3:]] == ["1", lines[-1].split()[0]], out(p)


def on_a_pty(argv: list[str]) -> tuple[int, bytes]:
    """Runs argv with a new pty as its stdio (ctr -t needs a terminal); (status, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                data += os.read(master, 4096)
            except OSError:
                break
    code = proc.wait(TIMEOUT)
    os.close(master)
    return code, data


def test_ctr_run_with_a_terminal(ctrd) -> None:
    code, data = on_a_pty(
        ["ctr", "--address", str(ctrd.d / "c.sock"), "-n", NS,
         *ctrd.run_args("--rm", "-t"), IMAGE, "tty1", "sh", "-c",
         "test -t 0 && test -t 1 && echo on-a-tty; exit 3"])
    assert code == 3, data
    assert b"on-a-tty" in data


def test_ctr_exec_ps_pause_resume_kill_delete(ctrd) -> None:
    p = ctrd.ctr(*ctrd.run_args("-d"), IMAGE, "long1", "sleep", "1000")
    assert p.returncode == 0, out(p)
    try:
        # Our runtime's state (runc has no control socket), under the shim's --root.
        assert (ctrd.d / "runc-root" / NS / "long1" / "control.sock").exists()
        p = ctrd.ctr("task", "exec", "--exec-id", "e1", "long1", "sh", "-c",
                     "echo exec-out; cat /proc/1/cmdline; exit 4")
        assert p.returncode == 4, out(p)
        assert p.stdout.decode().startswith("exec-out\nsleep"), out(p)
        p = ctrd.ctr("task", "ps", "long1")
        assert p.returncode == 0 and len(p.stdout.decode().splitlines()) >= 2, out(p)
        assert ctrd.ctr("task", "pause", "long1").returncode == 0
        assert "PAUSED" in ctrd.ctr("task", "ls").stdout.decode()
        assert ctrd.ctr("task", "resume", "long1").returncode == 0
        assert "RUNNING" in ctrd.ctr("task", "ls").stdout.decode()
        # TERM to a PID-namespace init without a handler is ignored, as with runc.
        assert ctrd.ctr("task", "kill", "long1").returncode == 0
        time.sleep(0.5)
        assert "RUNNING" in ctrd.ctr("task", "ls").stdout.decode()
        p = ctrd.ctr("task", "kill", "--all", "--signal", "KILL", "long1")
        assert p.returncode == 0, out(p)
        deadline = time.monotonic() + TIMEOUT
        while "STOPPED" not in ctrd.ctr("task", "ls").stdout.decode():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        p = ctrd.ctr("task", "delete", "long1")
        assert p.returncode == 0, out(p)
    finally:
        ctrd.ctr("task", "kill", "--all", "--signal", "KILL", "long1")
        ctrd.ctr("task", "delete", "--force", "long1")
        ctrd.ctr("container", "delete", "long1")


def test_an_invalid_config_shows_the_runtimes_error(ctrd) -> None:
    p = ctrd.ctr(*ctrd.run_args("--rm", "--cwd", "relative/dir"), IMAGE, "bad1", "true")
    assert p.returncode != 0
    err = p.stderr.decode()
    assert "config.json: process.cwd: must be an absolute path" in err, out(p)
    ctrd.ctr("container", "delete", "bad1")
    p = ctrd.ctr(*ctrd.run_args("--rm"), IMAGE, "bad2", "/bin/nope")
    assert p.returncode != 0 and "/bin/nope" in p.stderr.decode(), out(p)
    ctrd.ctr("container", "delete", "bad2")


def test_ctr_exec_with_a_terminal(ctrd) -> None:
    p = ctrd.ctr(*ctrd.run_args("-d"), IMAGE, "long2", "sleep", "1000")
    assert p.returncode == 0, out(p)
    try:
        code, data = on_a_pty(
            ["ctr", "--address", str(ctrd.d / "c.sock"), "-n", NS, "task", "exec", "-t",
             "--exec-id", "t1", "long2", "sh", "-c", "test -t 0 && echo exec-tty; exit 5"])
        assert code == 5, data
        assert b"exec-tty" in data
    finally:
        ctrd.ctr("task", "kill", "--all", "--signal", "KILL", "long2")
        ctrd.ctr("task", "delete", "--force", "long2")
        ctrd.ctr("container", "delete", "long2")
