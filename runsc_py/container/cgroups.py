"""The sandbox's cgroup: linux.resources applied, freeze/thaw for pause/resume, the pids.

Best effort, as the machines we meet are v1, v2 or hybrid (v1 controllers, with a
unified hierarchy beside them): the container gets a directory at its cgroupsPath in
every mounted hierarchy, the sandbox process joins them all (its tasks follow), and each
resource goes to the first hierarchy that has its controller. A limit that cannot be set
is logged, not fatal. Paths: an absolute cgroupsPath is taken below each hierarchy's
root, a relative one below /runsc_py, and systemd's "slice:prefix:name" becomes
/slice/prefix-name.scope (no systemd involved).
"""

from __future__ import annotations

import os
import time

from runsc_py.log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Hierarchy:
    __slots__ = ("mountpoint", "version", "controllers")

    def __init__(self, mountpoint: str, version: int, controllers: frozenset[str]) -> None:
        self.mountpoint, self.version, self.controllers = mountpoint, version, controllers

    def __repr__(self) -> str:
        return f"Hierarchy({self.mountpoint!r}, {self.version}, {sorted(self.controllers)})"


_hierarchies: list[Hierarchy] | None = None


def hierarchies() -> list[Hierarchy]:
    """The cgroup hierarchies mounted here (read once per process: a command asks often)."""
    global _hierarchies
    if _hierarchies is None:
        _hierarchies = _read_hierarchies()
    return _hierarchies


def _read_hierarchies() -> list[Hierarchy]:
    out = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(rfields) < 3 or rfields[0] not in ("cgroup", "cgroup2"):
            continue
        mp = fields[4]
        if rfields[0] == "cgroup2":
            try:
                with open(os.path.join(mp, "cgroup.controllers"), encoding="utf-8") as f:
                    ctl = frozenset(f.read().split())
            except OSError:
                ctl = frozenset()
            out.append(Hierarchy(mp, 2, ctl | {"freezer"}))
        else:
            opts = set(rfields[2].split(","))
            known = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
                     "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc"}
            ctl = frozenset(opts & known) or frozenset(o for o in opts if o.startswith("name="))
            out.append(Hierarchy(mp, 1, ctl))
    return out


def container_path(cgroups_path: str, cid: str) -> str:
    if not cgroups_path:
        return f"/runsc_py/{cid}"
    if ":" in cgroups_path:  # systemd's slice:prefix:name
        parts = cgroups_path.split(":")
        if len(parts) == 3:
            slice_, prefix, name = parts
            return f"/{slice_ or 'system.slice'}/{prefix}-{name}.scope"
    if cgroups_path.startswith("/"):
        return os.path.normpath(cgroups_path)
    return os.path.normpath(f"/runsc_py/{cgroups_path}")


class Cgroup:
    def __init__(self, paths: dict[str, str]) -> None:
        self.paths = paths  # hierarchy mountpoint → the container's directory in it

    @classmethod
    def planned(cls, cgroups_path: str, cid: str) -> Cgroup:
        """The directories create() will make, not made yet (saved in the state first, so
        that a `create` killed half-way leaves delete what to remove)."""
        rel = container_path(cgroups_path, cid).lstrip("/")
        return cls({h.mountpoint: os.path.join(h.mountpoint, rel) for h in hierarchies()})

    @classmethod
    def create(cls, cgroups_path: str, cid: str) -> Cgroup:
        rel = container_path(cgroups_path, cid).lstrip("/")
        paths: dict[str, str] = {}
        for h in hierarchies():
            d = os.path.join(h.mountpoint, rel)
            try:
                _makedirs(h, d)
            except OSError as e:
                log.warning("cgroup %s: cannot create: %s", d, e.strerror)
                continue
            paths[h.mountpoint] = d
        return cls(paths)

    def _dir_for(self, controller: str, version: int | None = None) -> str | None:
        for h in hierarchies():
            if h.mountpoint in self.paths and controller in h.controllers:
                if version is None or h.version == version:
                    return self.paths[h.mountpoint]
        return None

    def join(self, pid: int) -> None:
        for d in self.paths.values():
            try:
                _write(os.path.join(d, "cgroup.procs"), str(pid))
            except OSError as e:
                log.warning("cgroup %s: cannot join: %s", d, e.strerror)

    def apply(self, resources: dict[str, Any]) -> None:
        for name, value, files in _settings(resources):
            done = False
            for ctl, version, fname, fmt in files:
                d = self._dir_for(ctl, version)
                if d is None:
                    continue
                try:
                    _write(os.path.join(d, fname), fmt(value))
                    done = True
                    break
                except OSError as e:
                    log.warning("cgroup: %s = %s: %s", fname, value, e.strerror)
            if not done:
                log.warning("linux.resources.%s: no cgroup controller to apply it", name)

    def _freezer(self) -> tuple[str, int] | None:
        for h in hierarchies():
            if h.mountpoint in self.paths and "freezer" in h.controllers and h.version == 1:
                return self.paths[h.mountpoint], 1
        for h in hierarchies():
            if h.mountpoint in self.paths and h.version == 2:
                return self.paths[h.mountpoint], 2
        return None

    def freeze(self, frozen: bool, timeout: float = 10.0) -> None:
        """Freezes (or thaws) every process of the sandbox; raises OSError if impossible."""
        fz = self._freezer()
        if fz is None:
            raise OSError("no freezer cgroup for this container")
        d, version = fz
        deadline = time.monotonic() + timeout
        if version == 1:
            want = "FROZEN" if frozen else "THAWED"
            while True:
                _write(os.path.join(d, "freezer.state"), want)
                if _read(os.path.join(d, "freezer.state")) == want:
                    return
                if time.monotonic() > deadline:
                    raise OSError(f"freezer: still {_read(os.path.join(d, 'freezer.state'))}")
                time.sleep(0.01)
        _write(os.path.join(d, "cgroup.freeze"), "1" if frozen else "0")
        want = f"frozen {1 if frozen else 0}"
        while want not in _read(os.path.join(d, "cgroup.events")).splitlines():
            if time.monotonic() > deadline:
                raise OSError("cgroup.freeze did not settle")
            time.sleep(0.01)

    def frozen(self) -> bool:
        fz = self._freezer()
        if fz is None:
            return False
        d, version = fz
        try:
            if version == 1:
                return _read(os.path.join(d, "freezer.state")) == "FROZEN"
            return "frozen 1" in _read(os.path.join(d, "cgroup.events")).splitlines()
        except OSError:
            return False

    def pids(self) -> list[int]:
        for d in self.paths.values():
            try:
                return sorted(int(x) for x in _read(os.path.join(d, "cgroup.procs")).split())
            except OSError:
                continue
        return []

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        d = self._dir_for("pids")
        if d:
            try:
                out["pids"] = {"current": int(_read(os.path.join(d, "pids.current")))}
            except (OSError, ValueError):
                pass
        d = self._dir_for("memory")
        if d:
            for fname in ("memory.usage_in_bytes", "memory.current"):
                try:
                    out["memory"] = {"usage": {"usage": int(_read(os.path.join(d, fname)))}}
                    break
                except (OSError, ValueError):
                    continue
        return out

    def remove(self) -> None:
        for d in sorted(self.paths.values(), key=len, reverse=True):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)  # the last task may still be leaving


def _makedirs(h: Hierarchy, d: str) -> None:
    """mkdir -p; a new v1 cpuset starts empty, so it copies its parent's cpus and mems."""
    if os.path.isdir(d):
        return
    parent = os.path.dirname(d)
    if parent != d and not os.path.isdir(parent):
        _makedirs(h, parent)
    os.mkdir(d, 0o755)
    if h.version == 1 and "cpuset" in h.controllers:
        for f in ("cpuset.cpus", "cpuset.mems"):
            try:
                _write(os.path.join(d, f), _read(os.path.join(parent, f)))
            except OSError:
                pass


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(value)


def _shares_to_weight(shares: int) -> str:
    return str(1 + ((max(2, shares) - 2) * 9999) // 262142)


def _settings(r: dict[str, Any]) -> list[tuple[str, Any, list[tuple[str, int | None, str, Any]]]]:
    """(field name, value, [(controller, version, file, formatter), ...]) for each set field."""
    out: list[tuple[str, Any, list[tuple[str, int | None, str, Any]]]] = []
    mem, cpu, pids = r.get("memory") or {}, r.get("cpu") or {}, r.get("pids") or {}
    s = str
    if mem.get("limit") is not None:
        lim = mem["limit"]
        out.append(("memory.limit", lim, [
            ("memory", 1, "memory.limit_in_bytes", s),
            ("memory", 2, "memory.max", lambda v: "max" if v < 0 else str(v))]))
    if mem.get("reservation") is not None:
        out.append(("memory.reservation", mem["reservation"], [
            ("memory", 1, "memory.soft_limit_in_bytes", s), ("memory", 2, "memory.low", s)]))
    if pids.get("limit") is not None:
        out.append(("pids.limit", pids["limit"], [
            ("pids", None, "pids.max", lambda v: "max" if v <= 0 else str(v))]))
    if cpu.get("shares"):
        out.append(("cpu.shares", cpu["shares"], [
            ("cpu", 1, "cpu.shares", s), ("cpu", 2, "cpu.weight", _shares_to_weight)]))
    if cpu.get("period"):
        out.append(("cpu.period", cpu["period"], [("cpu", 1, "cpu.cfs_period_us", s)]))
    if cpu.get("quota"):
        period = cpu.get("period") or 100000
        out.append(("cpu.quota", cpu["quota"], [
            ("cpu", 1, "cpu.cfs_quota_us", s),
            ("cpu", 2, "cpu.max", lambda v: f"{'max' if v < 0 else v} {period}")]))
    if cpu.get("cpus"):
        out.append(("cpu.cpus", cpu["cpus"], [("cpuset", None, "cpuset.cpus", s)]))
    if cpu.get("mems"):
        out.append(("cpu.mems", cpu["mems"], [("cpuset", None, "cpuset.mems", s)]))
    return out
