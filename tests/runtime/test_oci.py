"""The OCI lifecycle through the CLI, as containerd's shim and podman drive it:
create/start/state/kill/delete/exec/ps/pause/resume, the pid file, the console socket,
errors in --log, hooks, and config.json honoured inside the sandbox (busybox workload)."""

from __future__ import annotations

import array
import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import _env

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
APPLETS = ("sh", "echo", "cat", "ls", "sleep", "id", "hostname", "ps", "true", "touch",
           "stat", "env", "pwd", "mkdir")
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="containers need root")
PR_SET_CHILD_SUBREAPER = 36


def make_rootfs(root: Path) -> None:
    (root / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, root / "bin/busybox")
    for a in APPLETS:
        (root / "bin" / a).symlink_to("busybox")
    (root / "etc").mkdir()
    (root / "etc/hostname").write_text("image\n")


class Runtime:
    def __init__(self, tmp: Path) -> None:
        self.root = tmp / "state"
        self.log = tmp / "log.json"
        self.bundle = tmp / "bundle"
        make_rootfs(self.bundle / "rootfs")
        self.config = {
            "ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "box",
            "process": {"args": ["sh", "-c", "echo hi"], "cwd": "/", "env": ["PATH=/bin"]},
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                       {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                        "options": ["mode=1777"]}],
            "linux": {"cgroupsPath": f"/runsc_py-test/{tmp.name}"},
        }

    def write(self, **process) -> None:
        self.config["process"].update(process)
        (self.bundle / "config.json").write_text(json.dumps(self.config))

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "runsc_py", "--root", str(self.root), "--log",
                str(self.log), "--log-format", "json", *args]

    def __call__(self, *args: str, stdout=None, stderr=None,
                 timeout: float = 120) -> subprocess.CompletedProcess:
        """Runs the CLI and reaps, meanwhile, the sandbox processes it leaves behind (this
        process is their subreaper, as the shim is): output goes through files, not pipes,
        so nothing blocks while we wait."""
        out = stdout or tempfile.TemporaryFile()
        err = stderr or tempfile.TemporaryFile()
        proc = subprocess.Popen(self.cmd(*args), env=_env(), cwd=self.bundle,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while proc.returncode is None:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == proc.pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
            elif pid == 0:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise subprocess.TimeoutExpired(proc.args, timeout)
                time.sleep(0.005)
        data = []
        for f, given in ((out, stdout), (err, stderr)):
            if given is None:
                f.seek(0)
                data.append(f.read())
                f.close()
            else:
                data.append(None)
        return subprocess.CompletedProcess(proc.args, proc.returncode, data[0], data[1])

    def reap(self) -> None:
        """Reaps sandbox processes that exited since the last command."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def detached(self, *args: str) -> subprocess.CompletedProcess:
        """For commands that leave a sandbox process behind, which keeps the stdio."""
        with open(self.bundle / "detached.out", "ab") as f:
            return self(*args, stdout=f, stderr=f)

    def errors(self) -> list[str]:
        if not self.log.exists():
            return []
        lines = [json.loads(x) for x in self.log.read_text().splitlines() if x.strip()]
        return [x["msg"] for x in lines if x["level"] == "error"]

    def state(self, cid: str) -> dict:
        p = self("state", cid)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)


@pytest.fixture
def rt(tmp_path):
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1)  # as the shim: orphaned sandboxes come to us
    r = Runtime(tmp_path)
    try:
        yield r
        for cid in os.listdir(r.root) if r.root.exists() else []:
            r("delete", "--force", cid)
    finally:
        r.reap()
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0)
    for h in Path("/sys/fs/cgroup").glob("*/runsc_py-test"):
        try:
            h.rmdir()  # only once empty: the last test's leaves it
        except OSError:
            pass


def wait_for(pred, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_run_prints_and_exits_with_the_workloads_code(rt) -> None:
    rt.write(args=["sh", "-c", "echo hello; hostname; id; pwd; exit 3"], cwd="/tmp",
             user={"uid": 1000, "gid": 100, "additionalGids": [7]})
    p = rt("run", "c1")
    assert p.returncode == 3, p.stderr
    out = p.stdout.decode().splitlines()
    assert out[0] == "hello" and out[1] == "box"
    assert out[2].startswith("uid=1000 gid=100") and "7" in out[2]
    assert out[3] == "/tmp"
    assert not (rt.root / "c1").exists()


def test_lifecycle_create_start_kill_delete(rt) -> None:
    rt.write(args=["sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 1; done"])
    pid_file = rt.bundle / "init.pid"
    out = rt.bundle / "out"
    with open(out, "wb") as f:
        # The sandbox process keeps the container's stdio: no pipes the test waits on.
        p = rt("create", "--bundle", str(rt.bundle), "--pid-file", str(pid_file), "c2",
               stdout=f, stderr=f)
    assert p.returncode == 0, out.read_text()
    pid = int(pid_file.read_text())
    st = rt.state("c2")
    assert (st["status"], st["pid"], st["id"]) == ("created", pid, "c2")
    assert out.read_bytes() == b""  # held before its first instruction
    assert rt("start", "c2").returncode == 0
    wait_for(lambda: out.read_bytes() == b"ready\n")
    assert rt.state("c2")["status"] == "running"
    assert rt("start", "c2").returncode == 1  # not in created state
    ps = rt("ps", "--format", "json", "c2")
    assert pid in json.loads(ps.stdout)
    assert rt("delete", "c2").returncode == 1  # running, no --force
    assert "not stopped" in rt.errors()[-1]
    assert rt("kill", "c2", "TERM").returncode == 0
    wait_for(lambda: rt.state("c2")["status"] == "stopped")
    assert (rt.root / "c2/exit_status").read_text().strip() == "42"
    assert rt("kill", "--all", "c2", "9").returncode == 0  # CRI does this on exited ones
    assert rt("kill", "c2", "9").returncode == 1
    assert "not running" in rt.errors()[-1]
    assert rt("delete", "c2").returncode == 0
    assert rt("delete", "c2").returncode == 0
    assert rt("delete", "--force", "c2").returncode == 0


def test_invalid_config_fails_with_one_clear_error_and_leaves_nothing(rt) -> None:
    rt.write(args=[])
    p = rt("create", "c3")
    assert p.returncode == 1
    assert "config.json: process.args: must be a non-empty list" in rt.errors()[-1]
    assert not (rt.root / "c3").exists()


def test_missing_program_fails_create(rt) -> None:
    rt.write(args=["/bin/nope"])
    p = rt("create", "c4")
    assert p.returncode == 1
    assert "/bin/nope" in rt.errors()[-1] and "no such file" in rt.errors()[-1]
    assert not (rt.root / "c4").exists()


def test_exec_ps_pause_resume(rt) -> None:
    rt.write(args=["sleep", "1000"])
    assert rt.detached("run", "--detach", "c5").returncode == 0
    p = rt("exec", "c5", "sh", "-c", "echo in; ps; cat /proc/1/cmdline; exit 5")
    assert p.returncode == 5, p.stderr
    out = p.stdout.decode()
    assert out.startswith("in\n") and "sleep" in out
    proc = rt.bundle / "proc.json"
    proc.write_text(json.dumps({"args": ["sh", "-c", "id; echo $X; pwd"], "cwd": "/proc",
                                "env": ["X=42", "PATH=/bin"], "user": {"uid": 5, "gid": 6}}))
    p = rt("exec", "--process", str(proc), "c5")
    assert p.stdout.decode().splitlines() == ["uid=5 gid=6", "42", "/proc"], p.stderr
    assert rt("exec", "c5", "/bin/nope").returncode != 0
    assert rt("pause", "c5").returncode == 0
    assert rt.state("c5")["status"] == "paused"
    assert rt("resume", "c5").returncode == 0
    assert rt.state("c5")["status"] == "running"
    assert rt("kill", "--all", "c5", "KILL").returncode == 0
    wait_for(lambda: rt.state("c5")["status"] == "stopped")
    assert rt("delete", "c5").returncode == 0


def test_exec_detached_proxy_exits_with_the_status(rt) -> None:
    rt.write(args=["sleep", "1000"])
    assert rt.detached("run", "--detach", "c6").returncode == 0
    pid_file = rt.bundle / "exec.pid"
    proc = rt.bundle / "p.json"
    proc.write_text(json.dumps({"args": ["sh", "-c", "sleep 0.2; exit 9"], "cwd": "/"}))
    # A subreaper stands in for the shim, which reaps the proxy named in the pid file.
    argv = rt.cmd("exec", "--detach", "--pid-file", str(pid_file), "--process", str(proc), "c6")
    code = (
        "import ctypes, os, subprocess, sys\n"
        "ctypes.CDLL(None).prctl(36, 1)\n"
        f"subprocess.run({argv!r}, check=True)\n"
        f"pid = int(open({str(pid_file)!r}).read())\n"
        "_, st = os.waitpid(pid, 0)\n"
        "print(os.waitstatus_to_exitcode(st))\n")
    p = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                       timeout=120)
    assert p.stdout.decode().strip() == "9", p.stderr


def _console_server(path: Path, got: list) -> threading.Thread:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        _, anc, _, _ = conn.recvmsg(64, socket.CMSG_SPACE(4))
        fds = array.array("i")
        fds.frombytes(anc[0][2])
        master = fds[0]
        data = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        got.append(data)
        os.close(master)
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def test_terminal_goes_over_the_console_socket(rt) -> None:
    rt.write(args=["sh", "-c", "test -t 0 && test -t 1 && echo tty-ok; ls -l /proc/self/fd/1"],
             terminal=True)
    sock = rt.bundle / "console.sock"
    got: list = []
    t = _console_server(sock, got)
    p = rt("run", "--console-socket", str(sock), "c7")
    assert p.returncode == 0, p.stderr
    t.join(60)
    assert b"tty-ok" in got[0] and b"/dev/pts/" in got[0]


def test_config_is_honoured_inside(rt, tmp_path) -> None:
    host_dir = tmp_path / "shared"
    host_dir.mkdir()
    (host_dir / "f").write_text("from host\n")
    rt.config["mounts"].append({"destination": "/data", "type": "bind",
                                "source": str(host_dir), "options": ["rbind", "ro"]})
    # File binds, as CRI makes them: over an existing file and at a missing path.
    (tmp_path / "hostname").write_text("from-a-file-bind\n")
    (tmp_path / "resolv.conf").write_text("nameserver 192.0.2.1\n")
    rt.config["mounts"] += [
        {"destination": "/etc/hostname", "type": "bind", "source": str(tmp_path / "hostname"),
         "options": ["rbind", "rw"]},
        {"destination": "/etc/new/resolv.conf", "type": "bind",
         "source": str(tmp_path / "resolv.conf"), "options": ["rbind", "ro"]}]
    rt.config["root"]["readonly"] = True
    rt.config["linux"]["readonlyPaths"] = ["/proc/sys"]
    rt.write(args=["sh", "-c",
                   "cat /data/f; touch /data/x || echo data-ro; touch /x || echo root-ro;"
                   " touch /tmp/ok && echo tmp-rw; stat -c %a /tmp; ulimit -n; hostname;"
                   " cat /etc/hostname /etc/new/resolv.conf"],
             rlimits=[{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 77}])
    p = rt("run", "c8")
    out = p.stdout.decode().splitlines()
    assert out == ["from host", "data-ro", "root-ro", "tmp-rw", "1777", "77", "box",
                   "from-a-file-bind", "nameserver 192.0.2.1"], p.stderr


def test_hooks_run_with_the_state_on_stdin(rt) -> None:
    seen = rt.bundle / "hooks.txt"
    hook = rt.bundle / "hook.sh"
    hook.write_text(f"#!/bin/sh\necho \"$1 $(cat)\" >> {seen}\n")
    hook.chmod(0o755)
    rt.config["hooks"] = {k: [{"path": str(hook), "args": ["hook.sh", k]}]
                          for k in ("prestart", "createRuntime", "poststart", "poststop")}
    rt.write(args=["true"])
    assert rt("run", "c9").returncode == 0
    lines = seen.read_text().splitlines()
    assert [x.split()[0] for x in lines] == ["prestart", "createRuntime", "poststart",
                                             "poststop"]
    state = json.loads(lines[0].split(" ", 1)[1])
    assert state["id"] == "c9" and state["status"] == "created" and state["pid"] > 0


def test_failing_prestart_hook_fails_create(rt) -> None:
    rt.config["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    rt.write(args=["true"])
    assert rt("create", "c10").returncode == 1
    assert "prestart hook" in rt.errors()[-1]
    assert not (rt.root / "c10").exists()


def test_list_spec_features(rt, tmp_path) -> None:
    rt.write(args=["sleep", "100"])
    assert rt.detached("create", "c11").returncode == 0
    p = rt("list", "--format", "json")
    assert [c["id"] for c in json.loads(p.stdout)] == ["c11"]
    assert "c11" in rt("list").stdout.decode()
    d = tmp_path / "spec"
    d.mkdir()
    assert rt("spec", "--bundle", str(d)).returncode == 0
    assert json.loads((d / "config.json").read_text())["process"]["args"] == ["sh"]
    f = json.loads(rt("features").stdout)
    assert "poststop" in f["hooks"]


def test_state_after_a_crash_of_the_sandbox_process(rt) -> None:
    rt.write(args=["sleep", "1000"])
    p = rt.detached("run", "--detach", "--pid-file", str(rt.bundle / "pid"), "c12")
    assert p.returncode == 0
    pid = int((rt.bundle / "pid").read_text())
    os.kill(pid, 9)
    wait_for(lambda: rt.state("c12")["status"] == "stopped")
    assert json.loads(rt("list", "--format", "json").stdout)[0]["status"] == "stopped"
    assert rt("delete", "c12").returncode == 0
    assert not (rt.root / "c12").exists()


def test_inherited_fds_are_closed_and_the_view_is_the_containers(rt) -> None:
    rt.write(args=["sh", "-c", "ls /; cat /etc/hostname; sleep 1000"])
    secret = rt.bundle / "inherited"
    secret.write_text("x")
    fd = os.open(secret, os.O_RDONLY)
    try:
        with open(rt.bundle / "out", "wb") as f:
            p = subprocess.run(rt.cmd("create", "--pid-file", str(rt.bundle / "pid"), "c13"),
                               env=_env(), cwd=rt.bundle, stdout=f, stderr=f, pass_fds=(fd,),
                               timeout=120)
    finally:
        os.close(fd)
    assert p.returncode == 0, (rt.bundle / "out").read_text()
    pid = int((rt.bundle / "pid").read_text())
    links = [os.readlink(f"/proc/{pid}/fd/{n}") for n in os.listdir(f"/proc/{pid}/fd")]
    assert str(secret) not in links
    assert rt("start", "c13").returncode == 0
    wait_for(lambda: "image" in (rt.bundle / "out").read_text())
    # The bundle's rootfs, not the host's: no /usr, /home, ... and the image's files.
    listed = (rt.bundle / "out").read_text().split()
    assert "usr" not in listed and "home" not in listed and "bin" in listed
    assert rt("kill", "c13", "KILL").returncode == 0


def test_wait_events_update(rt) -> None:
    rt.write(args=["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 4"])
    assert rt.detached("run", "--detach", "c14").returncode == 0
    ev = rt("events", "--stats", "c14")
    assert ev.returncode == 0 and json.loads(ev.stdout)["type"] == "stats"
    assert rt("update", "--pids-limit", "64", "c14").returncode == 0
    assert rt("exec", "c14", "touch", "/tmp/go").returncode == 0  # lets the workload end
    p = rt("wait", "c14")
    assert json.loads(p.stdout) == {"id": "c14", "exitStatus": 4}


def test_runc_flags_we_ignore_are_accepted_and_logged(rt) -> None:
    rt.write(args=["true"])
    p = rt("--rootless", "false", "--criu", "/usr/sbin/criu", "--systemd-cgroup", "list")
    assert p.returncode == 0, p.stderr
    msgs = [json.loads(x)["msg"] for x in rt.log.read_text().splitlines()]
    assert any("--rootless accepted and ignored" in m for m in msgs)
    assert any("--criu accepted and ignored" in m for m in msgs)


def test_exec_on_the_ptrace_platform(rt) -> None:
    rt.write(args=["sleep", "1000"])
    assert rt.detached("--platform", "ptrace", "run", "--detach", "c15").returncode == 0
    p = rt("--platform", "ptrace", "exec", "c15", "sh", "-c", "echo on-ptrace; exit 3")
    assert (p.returncode, p.stdout) == (3, b"on-ptrace\n"), p.stderr
    assert rt("delete", "--force", "c15").returncode == 0


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def test_the_container_sentry_runs_under_its_own_filter(rt) -> None:
    """create/start's sandbox process (the Sentry) installs sentry_filter once set up;
    exec through the control socket and the exit status file still work under it."""
    rt.write(args=["sh", "-c", "echo ready; while :; do sleep 1; done"])
    pid_file = rt.bundle / "sentry.pid"
    out = rt.bundle / "out"
    with open(out, "wb") as f:
        p = rt("create", "--bundle", str(rt.bundle), "--pid-file", str(pid_file), "cf",
               stdout=f, stderr=f)
    assert p.returncode == 0, out.read_text()
    assert rt("start", "cf").returncode == 0
    wait_for(lambda: out.read_bytes() == b"ready\n")
    sentry = int(pid_file.read_text())
    assert b"runsc_py" in Path(f"/proc/{sentry}/cmdline").read_bytes()
    st = _proc_status(sentry)
    assert (st["Seccomp"], st["NoNewPrivs"]) == ("2", "1"), st
    p = rt("exec", "cf", "sh", "-c", "echo in; exit 4")
    assert (p.returncode, p.stdout) == (4, b"in\n"), p.stderr
    assert rt("kill", "cf", "KILL").returncode == 0
    wait_for(lambda: rt.state("cf")["status"] == "stopped")
    assert (rt.root / "cf/exit_status").read_text().strip() == "137"
    assert rt("delete", "cf").returncode == 0
