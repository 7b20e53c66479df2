"""`do`'s cgroups on a cgroup v2 layout (runsc_py/container/workload_cgroup.py), faked in a
directory: this machine's hierarchies are v1, so the v2 path is checked here."""

from __future__ import annotations

import os

import pytest

from runsc_py.container import workload_cgroup as wc
from runsc_py.container.cgroups import Hierarchy


@pytest.fixture
def v2(tmp_path, monkeypatch):
    root = tmp_path / "cg"
    own = root / "user.slice" / "session.scope"
    own.mkdir(parents=True)
    # The caller's cgroup holds processes: Linux refuses to delegate (here: not writable).
    (own / "cgroup.subtree_control").mkdir()
    (root / "cgroup.subtree_control").write_text("cpu\n")
    shared = root / "runsc_py"
    shared.mkdir()
    (shared / "cgroup.subtree_control").write_text("")
    (shared / "runsc_py-do-99999999").mkdir()  # left by a `do` killed with SIGKILL
    h = Hierarchy(str(root), 2, frozenset({"pids", "memory", "cpu", "freezer"}))
    monkeypatch.setattr(wc, "hierarchies", lambda: [h])
    monkeypatch.setattr(wc, "_own_dir", lambda _h: str(own))
    return root


def test_v2_falls_back_to_the_shared_parent(v2):
    cg = wc.WorkloadCgroup.create(30, 64 << 20)
    d = v2 / "runsc_py" / f"runsc_py-do-{os.getpid()}"
    try:
        assert cg.missing == []
        assert [x for _, _, x in cg.dirs] == [str(d)]
        assert (d / "pids.max").read_text() == "30"
        assert (d / "memory.max").read_text() == str(64 << 20)
        assert (v2 / "cgroup.subtree_control").read_text() == "+memory +pids"
        assert (v2 / "runsc_py" / "cgroup.subtree_control").read_text() == "+memory +pids"
        assert not (v2 / "runsc_py" / "runsc_py-do-99999999").exists()
        cg.join(1234)
        assert (d / "cgroup.procs").read_text() == "1234"
        (d / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n")
        assert cg.oom_kills() == 2
    finally:
        for f in d.iterdir():
            f.unlink()  # cgroupfs files vanish with the directory; plain ones do not
        cg.remove()
    assert not d.exists()


def test_nothing_usable(v2, monkeypatch):
    monkeypatch.setattr(wc, "hierarchies", lambda: [Hierarchy(str(v2), 2, frozenset({"cpu"}))])
    cg = wc.WorkloadCgroup.create(30, 64 << 20)
    assert cg.missing == ["memory", "pids"] and cg.dirs == []
    cg.remove()


def test_only_what_is_asked(v2):
    cg = wc.WorkloadCgroup.create(0, 0)
    assert cg.missing == [] and cg.dirs == []
