"""Sandbox-only probes: other syscall ABIs die by SIGSYS; no path leads out of the root.

Not differential: natively `int $0x80` works and every path below reaches the host's root.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

SIGSYS_STATUS = 128 + 31


@pytest.mark.parametrize("name", ["int80", "x32"])
def test_other_abi_is_killed(
    name: str, sandbox_platform: str, probe: Callable[[str], Path], run_sandboxed, describe
) -> None:
    p = run_sandboxed(sandbox_platform, [str(probe(f"containment/{name}"))])
    assert p.stdout == b"before\n", describe(p)
    assert p.returncode == SIGSYS_STATUS, describe(p)


def _host_pids(root_pid: int) -> list[int]:
    """root_pid, its descendants (the Sentry and the workload), this process, its parent, 1."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    status = Path("/proc/self/status").read_text()
    ppid = int(re.search(r"^PPid:\s*(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    return sorted({*tree, os.getpid(), ppid, 1, *(p + d for p in tree for d in (1, 2))})


def _descendants_appear(pid: int, timeout: float = 5.0) -> None:
    """Waits until the runsc_py process has children (the Sentry's tasks) or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/task/{pid}/children").read_text().strip():
                return
        except OSError:
            return
        time.sleep(0.05)


def test_paths_stay_in_root(
    sandbox_platform: str,
    probe: Callable[[str], Path],
    tmp_path: Path,
    runsc_argv,
    common_env: dict[str, str],
    describe,
) -> None:
    marker = f"runsc-escape-{uuid.uuid4().hex}"
    links = tmp_path / "links"
    links.mkdir()
    (links / "abs").symlink_to("/")
    (links / "rel").symlink_to("../" * 12)
    cmd = runsc_argv(sandbox_platform, [str(probe("containment/escape")), marker, str(links)])
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=common_env, cwd=tmp_path,
    )
    try:
        _descendants_appear(proc.pid)
        pids = _host_pids(proc.pid)
        out, err = proc.communicate("".join(f"{p}\n" for p in pids).encode(), timeout=120)
    finally:
        proc.kill()
        proc.wait()
    p = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    lines = out.decode(errors="replace").splitlines()
    try:
        assert p.returncode == 0, describe(p)
        assert lines[0] == "create /etc/MARKER: ok", describe(p)
        paths = [ln for ln in lines if ln.startswith("path ")]
        assert len(paths) == 12, describe(p)
        for ln in paths:
            assert ln.endswith(": inside"), f"{ln}\n" + describe(p)
        assert "getcwd: /" in lines, describe(p)
        assert "proc pids: 1" in lines, describe(p)
        for pid in pids:
            mine = [ln for ln in lines if ln.startswith(f"pid {pid}:")]
            if pid == 1:
                assert mine[0] == "pid 1: marker inside", describe(p)
            else:
                assert mine == [f"pid {pid}: /proc/{pid} -1 ENOENT"], describe(p)
        assert lines[-1] == "done", describe(p)
        assert not Path("/etc", marker).exists(), "the sandbox wrote the host's /etc"
    finally:
        Path("/etc", marker).unlink(missing_ok=True)
