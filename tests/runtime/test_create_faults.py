"""Fault: `runsc_py create` killed (SIGKILL) half-way. `delete --force` then removes
everything the create made: the sandbox process and the workload's tasks, the container's
cgroup directories, the state directory (the runtime makes no host mounts: the Sentry's
VFS is in the Sentry). The kill comes from the test-only RUNSC_PY_TEST_KILL_CREATE=<stage>
(runsc_py/container/lifecycle.py), and, for the last stage, from a prestart hook that
kills its parent, the create command, as any outside killer would.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from runsc_py.container.cgroups import container_path, hierarchies
from runsc_py.container.state import pid_start_time
from tests.runtime.test_oci import rt, wait_for  # noqa: F401 - rt: the fixture

STAGES = ("saved", "cgroup", "sandbox", "created")


def _cgroup_dirs(rt, cid: str) -> list[str]:  # noqa: F811
    rel = container_path(rt.config["linux"]["cgroupsPath"], cid).lstrip("/")
    return [os.path.join(h.mountpoint, rel) for h in hierarchies()]


def _ns_members(init: int) -> list[int]:
    """Host pids in the PID namespace whose init is `init` (empty once it is gone)."""
    try:
        ns = os.readlink(f"/proc/{init}/ns/pid")
    except OSError:
        return []
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.readlink(f"/proc/{name}/ns/pid") == ns:
                    out.append(int(name))
            except OSError:
                pass
    return out


def _check_cleanup(rt, cid: str, sandbox: tuple[int, int] | None,  # noqa: F811
                   init: int | None) -> None:
    p = rt("delete", "--force", cid)
    assert p.returncode == 0, p.stderr
    rt.reap()
    assert not (rt.root / cid).exists()
    for d in _cgroup_dirs(rt, cid):
        assert not os.path.isdir(d), f"cgroup left: {d}"
    if sandbox is not None:
        pid, start = sandbox
        assert pid_start_time(pid) != start, "the sandbox process outlived delete"
    if init is not None:
        assert _ns_members(init) == [], "workload tasks outlived delete"


def _our_children() -> list[int]:
    """Live (not zombie) runsc_py processes whose parent is this test process."""
    me, out = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me and fields[0] != b"Z" and _is_runsc(name):
                out.append(int(name))
    return out


def _is_runsc(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"runsc_py" in f.read()
    except OSError:
        return False


def _init_pid(rt, cid: str) -> int:  # noqa: F811
    """The workload's first task, once the sandbox process (which outlives the killed
    create) has launched it."""
    f = rt.root / cid / "init.pid"
    wait_for(f.exists)
    return int(f.read_text().split()[0])


def _state(rt, cid: str) -> dict:  # noqa: F811
    return json.loads((rt.root / cid / "state.json").read_text())


@pytest.mark.parametrize("stage", STAGES)
def test_delete_force_cleans_up_after_create_was_killed(rt, stage, monkeypatch) -> None:  # noqa: F811
    rt.write(args=["sleep", "1000"])
    cid = f"k-{stage}"
    monkeypatch.setenv("RUNSC_PY_TEST_KILL_CREATE", stage)
    p = rt.detached("create", "--bundle", str(rt.bundle), cid)
    monkeypatch.delenv("RUNSC_PY_TEST_KILL_CREATE")
    assert p.returncode == -9, (rt.bundle / "detached.out").read_bytes()
    orphans = _our_children()  # the killed create's sandbox process came to us (subreaper)
    assert len(orphans) == 1, orphans
    sandbox = (orphans[0], pid_start_time(orphans[0]))
    if stage != "saved":
        assert any(os.path.isdir(d) for d in _cgroup_dirs(rt, cid))
    init = _init_pid(rt, cid) if stage in ("sandbox", "created") else None
    _check_cleanup(rt, cid, sandbox, init)


def test_delete_force_after_a_hook_killed_create(rt) -> None:  # noqa: F811
    hook = rt.bundle / "kill-parent.sh"
    hook.write_text("#!/bin/sh\nkill -9 $PPID\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    rt.config["hooks"] = {"prestart": [{"path": str(hook)}]}
    rt.write(args=["sleep", "1000"])
    p = rt.detached("create", "--bundle", str(rt.bundle), "kh")
    assert p.returncode == -9
    assert _state(rt, "kh")["status"] == "created"
    orphans = _our_children()
    assert len(orphans) == 1, orphans
    _check_cleanup(rt, "kh", (orphans[0], pid_start_time(orphans[0])), _init_pid(rt, "kh"))
