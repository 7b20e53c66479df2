"""The lifecycle operations behind the CLI commands: refresh → guard → act → save.

    create(store, id, bundle, ...)   start(store, id)   kill(store, id, sig, all)
    delete(store, id, force)         pause/resume       state(store, id)
"""

from __future__ import annotations

import errno
import os
import select

from runsc_py.container import hooks, sandbox
from runsc_py.container.cgroups import Cgroup
from runsc_py.container.spec import load, load_hooks
from runsc_py.container.state import (
    ContainerError, NotFound, State, Status, Store, now, pid_start_time, read_exit_status,
)
from runsc_py.log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SIGKILL = 9  # (the signal module builds enums at import: start-up time)


def signals() -> dict[str, int]:
    """Signal names without SIG (TERM, KILL, ...) → numbers."""
    import signal

    return {s.name.removeprefix("SIG"): int(s) for s in signal.Signals
            if not s.name.startswith("SIG_")}


def parse_signal(text: str) -> int:
    """A signal by number (15), name (TERM) or full name (SIGTERM)."""
    import signal

    if text.isdigit():
        n = int(text)
        if 0 < n < 65:
            return n
    else:
        name = text.upper().removeprefix("SIG")
        known = signals()
        if name in known:
            return known[name]
        if name.startswith("RTMIN+") and name[6:].isdigit():
            return signal.SIGRTMIN + int(name[6:])
    raise ContainerError(f"invalid signal {text!r}")


def _owner() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def create(store: Store, cid: str, bundle: str, opts: Any, *, pid_file: str | None,
           console_socket: str | None, preserve_fds: int = 0) -> State:
    spec = load(bundle)  # ConfigError before anything exists
    if spec.process.terminal and not console_socket:
        raise ContainerError("config.json: process.terminal: true needs --console-socket")
    joined = [f"{n['type']}={n['path']}" for n in spec.namespaces if n["path"]]
    if joined:
        # CRI names the pod sandbox's namespaces; this container gets its own Sentry.
        log.info("create %s: linux.namespaces paths not joined (%s): a sandbox of its own",
                 cid, ", ".join(joined))
    with store.locked(cid, create=True) as d:
        st = State(id=cid, bundle=spec.bundle, annotations=spec.annotations, created=now(),
                   rootfs=spec.root_path, owner=_owner())
        cg = sp = None
        try:
            # Forked first: the sandbox process loads the Sentry while the state is saved
            # and the cgroup made, then waits for go() to build the container in it.
            sp = sandbox.Spawn(spec, d, opts, console_socket=console_socket,
                               preserve_fds=preserve_fds)
            # Saved before they exist: if this command is killed from here on, `delete`
            # finds the sandbox process and the cgroup directories to remove.
            st.pid, st.pidStartTime = sp.pid, pid_start_time(sp.pid) or 0
            st.cgroupPaths = Cgroup.planned(spec.cgroups_path, cid).paths
            store.save(st)
            _test_kill_point("saved")
            cg = Cgroup.create(spec.cgroups_path, cid)
            st.cgroupPaths = cg.paths
            cg.apply(spec.resources)
            _test_kill_point("cgroup")
            sp.join(cg)
            sp.go()
            _test_kill_point("sandbox")
            st.status = Status.CREATED.value
            store.save(st)
            _test_kill_point("created")
            hooks.run("prestart", spec.hooks, st.oci())
            hooks.run("createRuntime", spec.hooks, st.oci())
            hooks.run("createContainer", spec.hooks, st.oci())
            if pid_file:
                _write_pid_file(pid_file, st.pid)
        except BaseException:
            if sp is not None:
                sp.abort()
            _destroy(st, d, cg)
            store.remove(cid)
            raise
    return st


def _test_kill_point(stage: str) -> None:
    """Test-only fault injection: RUNSC_PY_TEST_KILL_CREATE=<stage> makes `create` die of
    SIGKILL at that stage (tests/runtime/test_create_faults.py), as a runtime killed
    mid-create would. Unset in production; it only ever kills this command."""
    if os.environ.get("RUNSC_PY_TEST_KILL_CREATE") == stage:
        os.kill(os.getpid(), SIGKILL)


def _write_pid_file(path: str, pid: int) -> None:
    path = os.path.abspath(path)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(pid))
    os.rename(tmp, path)


def _destroy(st: State, d: str, cg: Cgroup | None) -> None:
    """Kills whatever the container still runs and removes its cgroup."""
    if st.pid and st.alive():
        _signal_all(st, d, SIGKILL)
        wait_gone(st.pid, st.pidStartTime, 10.0)
    if cg is not None:
        cg.remove()


def wait_gone(pid: int, start: int, timeout: float | None) -> bool:
    """Waits (on a pidfd, no polling) until the process `pid` that started at `start` has
    exited; False after `timeout` seconds (None: no limit)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        if pid_start_time(pid) != start:  # gone, a zombie, or the pid reused meanwhile
            return True
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def _hooks_or_none(st: State) -> dict[str, list[dict[str, Any]]] | None:
    try:
        return load_hooks(st.bundle)
    except Exception:  # noqa: BLE001 - the bundle may be gone by delete time
        return None


def start(store: Store, cid: str) -> State:
    with store.locked(cid) as d:
        st = store.load(cid)
        if not st.state.can_start():
            raise ContainerError(f"cannot start a container that is {st.status}"
                                 if st.state is not Status.STOPPED
                                 else "cannot start a container that has stopped")
        try:
            fd = os.open(os.path.join(d, sandbox.START_FIFO), os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno in (errno.ENXIO, errno.ENOENT):
                raise ContainerError(f"container {cid} is not running (its sandbox "
                                     "process is gone)") from None
            raise
        try:
            os.write(fd, b"g")
        finally:
            os.close(fd)
        open(os.path.join(d, "started"), "w").close()
        st.status = Status.RUNNING.value
        store.save(st)
        found = _hooks_or_none(st)
        if found:
            hooks.run("startContainer", found, st.oci(), fatal=False)
            hooks.run("poststart", found, st.oci(), fatal=False)
    return st


def state(store: Store, cid: str) -> State:
    with store.locked(cid) as d:
        st = store.load(cid)
        if st.state is Status.RUNNING and _cgroup(st).frozen():
            st.status = Status.PAUSED.value
        del d
    return st


def _cgroup(st: State) -> Cgroup:
    return Cgroup(dict(st.cgroupPaths))


def _signal_all(st: State, d: str, sig: int) -> None:
    """Signals every task of the sandbox (and, for SIGKILL or before start, the sandbox
    process itself)."""
    pids = sandbox.sandbox_pids(d)
    for pid in pids:
        _kill(pid, sig)
    if (not pids or sig == SIGKILL) and st.alive():
        _kill(st.pid, sig)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def kill(store: Store, cid: str, sig: int, all_: bool) -> None:
    with store.locked(cid) as d:
        st = store.load(cid)
        if not st.state.can_kill():
            if all_:
                return  # CRI kills exited containers with --all: not an error (runc agrees)
            raise ContainerError("container not running")  # runc's words: the shim matches them
        if all_:
            _signal_all(st, d, sig)
        else:
            target = sandbox.init_pid(d) if os.path.exists(os.path.join(d, "started")) else None
            _kill(target or st.pid, sig)
        if sig == SIGKILL and _cgroup(st).frozen():
            _cgroup(st).freeze(False)  # v1 frozen tasks cannot die until thawed


def delete(store: Store, cid: str, force: bool) -> None:
    try:
        ctx = store.locked(cid)
        d = ctx.__enter__()
    except NotFound:
        log.debug("delete: container %s does not exist", cid)
        return
    try:
        try:
            st = store.load(cid)
        except NotFound:
            store.remove(cid)
            return
        # CREATING here: the `create` that held the lock died half-way (killed); its
        # sandbox process may live on, held before `start`.
        if st.state in (Status.CREATED, Status.RUNNING, Status.PAUSED) or (
                st.state is Status.CREATING and st.alive()):
            if not force and st.state not in (Status.CREATED, Status.CREATING):
                raise ContainerError(f"cannot delete container {cid} that is not stopped: "
                                     f"{st.status}")
            _signal_all(st, d, SIGKILL)
            if st.state is Status.PAUSED or _cgroup(st).frozen():
                try:
                    _cgroup(st).freeze(False)
                except OSError:
                    pass
            if not wait_gone(st.pid, st.pidStartTime, 10.0):
                raise ContainerError(f"container {cid}: sandbox process {st.pid} did not exit")
        _cgroup(st).remove()
        found = _hooks_or_none(st)
        st.status = Status.STOPPED.value
        if found:
            hooks.run("poststop", found, st.oci(), fatal=False)
        del d
        store.remove(cid)
    finally:
        ctx.__exit__(None, None, None)


def pause(store: Store, cid: str, frozen: bool) -> None:
    with store.locked(cid):
        st = store.load(cid)
        if frozen and st.state is not Status.RUNNING:
            raise ContainerError(f"container {cid} is not running")
        if not frozen and st.state is not Status.PAUSED:
            raise ContainerError(f"container {cid} is not paused")
        try:
            _cgroup(st).freeze(frozen)
        except OSError as e:
            raise ContainerError(f"{'pause' if frozen else 'resume'} {cid}: {e}") from None
        st.status = Status.PAUSED.value if frozen else Status.RUNNING.value
        store.save(st)


def running_state(store: Store, cid: str) -> State:
    """The container's state, which must have a live sandbox process (for exec, ps, ...)."""
    st = state(store, cid)
    if st.state is Status.STOPPED:
        raise ContainerError(f"container {cid} is not running")
    return st


def exit_status(store: Store, cid: str) -> int | None:
    return read_exit_status(store.dir(cid))
