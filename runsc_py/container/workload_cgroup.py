"""`runsc_py do`'s cgroups: the workload's tasks bounded by a pids and a memory cgroup.

The container commands put the whole sandbox process in the container's cgroup (as runc
and runsc do); `do` has no bundle, so it makes its own: one directory named
runsc_py-do-<pid> in each hierarchy that has the pids or the memory controller (v1 or v2),
with pids.max and the memory limit set: below the caller's own cgroup (whose limits then
still apply), else below <hierarchy>/runsc_py as the containers' (on v2 the caller's
cgroup usually holds processes, and Linux lets such a cgroup delegate no controller).
Only the workload joins it: the first task is moved in before any of the workload runs
(Kernel.on_init_launched) and the tasks it clones follow on the host. The Sentry stays in
the caller's cgroup, so the memory cgroup's OOM killer only ever chooses among the
workload's tasks, never the Sentry, which survives to report the kill (oom_kills).

Best effort: without the controllers or the right to use them (not root, a v2 hierarchy
without them), `do` runs without them and says so in its log; the pids bound then stays
the Sentry's own task cap, and memory is bounded by the host only.

Removal: after the run, by unlinkat(parent fd, name, AT_REMOVEDIR) on the parent
directories opened before the Sentry's seccomp filter, the one call the filter grants
`do` for this (sentry_filter.install's rmdir_dirfds). A `do` killed with SIGKILL leaves its
directories; the next `do` removes those whose owner is gone.
"""

from __future__ import annotations

import errno
import os
import time

from runsc_py.container.cgroups import Hierarchy, _read, _write, hierarchies
from runsc_py.log import log

PREFIX = "runsc_py-do-"


class WorkloadCgroup:
    def __init__(self) -> None:
        self.dirs: list[tuple[Hierarchy, int, str]] = []  # (hierarchy, parent fd, path)
        self.missing: list[str] = []  # the controllers that could not be set up

    @classmethod
    def create(cls, pids_limit: int, memory_limit: int) -> WorkloadCgroup:
        """Directories for the limits asked for (0: none); each one that cannot be set up
        is logged and left out."""
        cg = cls()
        want = {c for c, v in (("pids", pids_limit), ("memory", memory_limit)) if v > 0}
        name = f"{PREFIX}{os.getpid()}"
        for h in hierarchies():
            ctls = want & h.controllers
            if not ctls:
                continue
            for parent in _parents(h):
                fd = _open_parent(h, parent, ctls)
                if fd < 0:
                    continue
                _collect_stale(fd)
                d = os.path.join(parent, name)
                try:
                    os.mkdir(name, 0o755, dir_fd=fd)
                except OSError as e:
                    os.close(fd)
                    log.info("do: cgroup %s: %s", d, e.strerror or e)
                    continue
                cg.dirs.append((h, fd, d))
                try:
                    if "pids" in ctls:
                        _write(os.path.join(d, "pids.max"), str(pids_limit))
                    if "memory" in ctls:
                        _write(os.path.join(d, "memory.max" if h.version == 2 else
                                            "memory.limit_in_bytes"), str(memory_limit))
                    want -= ctls
                except OSError as e:
                    log.info("do: cgroup %s: %s", d, e.strerror or e)
                break
        cg.missing = sorted(want)
        return cg

    def dir_fds(self) -> tuple[int, ...]:
        return tuple(fd for _, fd, _ in self.dirs)

    def join(self, pid: int) -> None:
        """Moves the workload's first task in (its future children follow)."""
        for _, _, d in self.dirs:
            try:
                _write(os.path.join(d, "cgroup.procs"), str(pid))
            except OSError as e:
                log.warning("do: cgroup %s: cannot join: %s", d, e.strerror)

    def oom_kills(self) -> int:
        """How many tasks the memory cgroup's OOM killer killed."""
        for h, _, d in self.dirs:
            if "memory" not in h.controllers:
                continue
            f = "memory.events" if h.version == 2 else "memory.oom_control"
            try:
                text = _read(os.path.join(d, f))
            except OSError:
                return 0
            for line in text.splitlines():
                key, _, val = line.partition(" ")
                if key == "oom_kill":
                    return int(val)
        return 0

    def remove(self, timeout: float = 5.0) -> None:
        """Removes the directories once the workload's last task has left them."""
        for _, fd, d in self.dirs:
            name = os.path.basename(d)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    os.rmdir(name, dir_fd=fd)
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY or time.monotonic() > deadline:
                        log.warning("do: cannot remove cgroup %s: %s", name, e.strerror)
                        break
                    time.sleep(0.02)  # the last tasks are still exiting
            os.close(fd)
        self.dirs = []


def _parents(h: Hierarchy) -> list[str]:
    """Where `do`'s directory may go: below the caller's own cgroup (its limits apply
    too), else below <hierarchy>/runsc_py as the containers' (v2: the caller's cgroup
    holds processes, so Linux lets it delegate no controller to a child)."""
    out = []
    try:
        out.append(_own_dir(h))
    except OSError:
        pass
    shared = os.path.join(h.mountpoint, "runsc_py")
    if shared not in out:
        out.append(shared)
    return out


def _open_parent(h: Hierarchy, parent: str, ctls: set[str]) -> int:
    """An fd of `parent` (made if it is the shared one), its controllers delegated (v2);
    -1 if it cannot serve."""
    try:
        shared = parent == os.path.join(h.mountpoint, "runsc_py")
        if h.version == 2 and shared:
            _delegate(h.mountpoint, ctls)  # the root may: no-internal-process rule exempts it
        if shared and not os.path.isdir(parent):
            os.mkdir(parent, 0o755)
        if h.version == 2:
            _delegate(parent, ctls)
        return os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        log.info("do: cgroup %s: %s", parent, e.strerror or e)
        return -1


def _own_dir(h: Hierarchy) -> str:
    """The caller's cgroup directory in hierarchy h (from /proc/self/cgroup)."""
    with open("/proc/self/cgroup", encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        _, ctls, path = line.split(":", 2)
        names = set(ctls.split(",")) if ctls else set()
        if (h.version == 2 and not ctls) or (h.version == 1 and names & h.controllers):
            return os.path.join(h.mountpoint, path.lstrip("/"))
    raise OSError(errno.ENOENT, "not in this hierarchy")


def _delegate(parent: str, ctls: set[str]) -> None:
    """v2: the controllers must be enabled in the parent's subtree_control, which Linux
    refuses (EBUSY) for a non-root cgroup holding processes, such as the caller's."""
    have = set(_read(os.path.join(parent, "cgroup.subtree_control")).split())
    if ctls - have:
        _write(os.path.join(parent, "cgroup.subtree_control"),
               " ".join(f"+{c}" for c in sorted(ctls - have)))


def _collect_stale(fd: int) -> None:
    """Removes the directories of earlier `do`s that are gone (killed before their clean-up);
    a directory still holding tasks refuses (EBUSY) and stays."""
    try:
        names = os.listdir(fd)
    except OSError:
        return
    for n in names:
        if not n.startswith(PREFIX) or not n[len(PREFIX):].isdigit():
            continue
        if os.path.exists(f"/proc/{n[len(PREFIX):]}"):
            continue  # its owner (or a process with its pid) is alive
        try:
            os.rmdir(n, dir_fd=fd)
        except OSError:
            pass

