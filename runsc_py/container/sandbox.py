"""The sandbox process: `create` forks it, it becomes the container's Sentry.

    sp = Spawn(spec, state_dir, opts)    # forks; the child loads the Sentry meanwhile
    sp.join(cgroup); pid = sp.go()       # returns once the workload is ready to start

The child (the pid in --pid-file, reaped by the shim) starts a new session, takes the
terminal if there is one (a pty made here, its master sent over --console-socket with
SCM_RIGHTS, its slave as the workload's stdio), closes every inherited fd but 0-2, joins
the container's cgroup, builds the Sentry (root file system, mounts, the program resolved
and checked) and reports "ok" (or the error) on a pipe. Then it blocks reading
<state>/start.fifo, which `start` writes one byte into; it launches the workload, serves
the control socket (<state>/control.sock: exec) and exits with the workload's status
(128+N if signal N killed it), which it also writes to <state>/exit_status.
"""

from __future__ import annotations

import os
import sys

from runsc_py.log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runsc_py.container.spec import Spec

START_FIFO = "start.fifo"
CONTROL_SOCK = "control.sock"
INIT_PID = "init.pid"
POLLIN = 1
EXIT_STATUS = "exit_status"


class SpawnError(Exception):
    pass


def short_path(path: str):
    """See sentry.control.short_path (long socket paths through /proc/self/fd)."""
    from sentry.control import short_path as impl

    return impl(path)


def send_fd(socket_path: str, fd: int) -> None:
    """Sends `fd` over the unix stream socket at socket_path (runc's console socket)."""
    import array
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s, short_path(socket_path) as p:
        s.connect(p)
        fds = array.array("i", [fd])
        s.sendmsg([b"/dev/ptmx"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())])


def open_terminal(console_socket: str) -> int:
    """A new pty: the master goes to the console socket; returns the slave."""
    master, slave = os.openpty()
    try:
        send_fd(console_socket, master)
    finally:
        os.close(master)
    return slave


def sentry_config(spec: Spec, opts: Any):
    from sentry.sandbox import ContainerConfig
    from sentry.vfs.fsimpl.container_root import MountSpec

    p = spec.process
    return ContainerConfig(
        rootfs=spec.root_path, readonly=spec.root_readonly, args=p.args, env=p.env, cwd=p.cwd,
        uid=p.uid, gid=p.gid, groups=p.additional_gids, hostname=spec.hostname,
        rlimits=p.rlimits, capabilities=p.capabilities, sysctl=spec.sysctl,
        mounts=[MountSpec(m.destination, m.type, m.source, m.options) for m in spec.mounts],
        masked_paths=spec.masked_paths, readonly_paths=spec.readonly_paths,
        platform=opts.platform, strace=opts.strace, network=opts.network,
        sentry_seccomp=getattr(opts, "sentry_seccomp", "kill"),
        file_access=getattr(opts, "file_access", "exclusive"),
        max_tasks=_pids_limit(spec.resources))


def _pids_limit(resources: dict[str, Any]) -> int:
    """linux.resources.pids.limit (0 if unset or unlimited): the Sentry's task table cap too,
    so a guest's clone beyond it gets EAGAIN even where no pids cgroup is mounted."""
    limit = (resources.get("pids") or {}).get("limit")
    return limit if isinstance(limit, int) and limit > 0 else 0


class Spawn:
    """The sandbox process, forked early so that it loads the Sentry while `create` goes on:

        sp = Spawn(spec, state_dir, opts, console_socket=..., preserve_fds=...)
        ...                       # state saved, cgroup made
        sp.join(cgroup)           # the child is moved into the container's cgroup
        pid = sp.go()             # returns once it is ready for `start` (SpawnError if not)

    or sp.abort() if `create` fails meanwhile. The child waits for go() before it builds
    anything of the container (root file system, program, terminal): what it allocated
    before the move (the Python modules of the Sentry) stays charged to the caller's cgroup.
    """

    def __init__(self, spec: Spec, state_dir: str, opts: Any, *, console_socket: str | None,
                 preserve_fds: int = 0) -> None:
        os.mkfifo(os.path.join(state_dir, START_FIFO), 0o600)
        go_r, self.go_w = os.pipe2(os.O_CLOEXEC)
        self.ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.go_w)
            os.close(self.ready_r)
            code = 1
            try:
                code = _child(spec, state_dir, opts, console_socket, go_r, ready_w,
                              preserve_fds)
            except BaseException as e:  # noqa: BLE001 - the child must never return into the CLI
                _tell(ready_w, f"error: {e}")
                # After "ok" only the log can tell (the CLI has returned).
                log.error("sandbox process: %s", e or type(e).__name__)
                log.debug("sandbox process", exc_info=True)
            finally:
                if "logging" in sys.modules:
                    sys.modules["logging"].shutdown()
                os._exit(code)
        os.close(go_r)
        os.close(ready_w)

    def join(self, cgroup: Any) -> None:
        cgroup.join(self.pid)

    def go(self) -> int:
        """Lets the child build the container; returns its pid once it is ready."""
        try:
            os.write(self.go_w, b"g")
        except BrokenPipeError:
            pass  # it died already: its message (or EOF) says why
        os.close(self.go_w)
        self.go_w = -1
        msg = b""
        while chunk := os.read(self.ready_r, 4096):
            msg += chunk
        os.close(self.ready_r)
        self.ready_r = -1
        text = msg.decode(errors="replace").strip()
        if text != "ok":
            _reap(self.pid)
            raise SpawnError(text.removeprefix("error: ") or "the sandbox process died while "
                             "setting up")
        return self.pid

    def abort(self) -> None:
        for fd in (self.go_w, self.ready_r):
            if fd >= 0:
                os.close(fd)
        self.go_w = self.ready_r = -1
        _reap(self.pid)


def _reap(pid: int) -> None:
    try:
        os.kill(pid, 9)  # SIGKILL
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _tell(w: int, msg: str) -> None:
    try:
        os.write(w, msg.encode())
        os.close(w)
    except OSError:
        pass


def _close_inherited(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _child(spec: Spec, state_dir: str, opts: Any, console_socket: str | None,
           go_r: int, w: int, preserve_fds: int) -> int:
    import gc

    from runsc_py import log as cli_log

    # No cyclic collections while the Sentry's modules load and the container is built
    # (they would walk the growing heap again and again, ~5 ms of the wait in `create`);
    # enabled again for the run, where Kernel.run() freezes what start-up made.
    gc.disable()
    cli_log.activate()  # the Sentry's loggers write to --log too
    os.setsid()
    keep = {go_r, w} | cli_log.log_fds() | set(range(3, 3 + preserve_fds))
    _close_inherited(keep)
    # The Sentry's code, loaded while `create` saves the state and makes the cgroup.
    import sentry.control  # noqa: F401
    from sentry.sandbox import ContainerSandbox, LaunchError

    # Nothing of the container is made before the parent has moved us into its cgroup.
    go = os.read(go_r, 1)
    os.close(go_r)
    if go != b"g":
        return 1  # create failed meanwhile
    if spec.process.terminal:
        if not console_socket:
            raise SpawnError("process.terminal is true but no --console-socket was given")
        slave = open_terminal(console_socket)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    if spec.process.oom_score_adj is not None:
        # The whole sandbox (Sentry and tasks) is one unit for the OOM killer.
        try:
            with open("/proc/self/oom_score_adj", "w", encoding="ascii") as f:
                f.write(str(spec.process.oom_score_adj))
        except OSError as e:
            log.warning("process.oomScoreAdj %d: %s", spec.process.oom_score_adj, e.strerror)
    try:
        sb = ContainerSandbox(sentry_config(spec, opts))
    except LaunchError as e:
        # runc's wording, which users and tools recognise.
        raise SpawnError(f"exec: {spec.process.args[0]!r}: {e}") from None
    from sentry.control import ControlServer

    # Listening before `create` returns: an exec right after `start` finds the socket (and
    # waits in its backlog until the thread that accepts runs, started after "ok").
    server = ControlServer(sb.kernel, sb.root, os.path.join(state_dir, CONTROL_SOCK),
                           start=False)
    server.default_caps = sb.cfg.capabilities
    fifo = os.open(os.path.join(state_dir, START_FIFO),
                   os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
    _tell(w, "ok")
    server.start()
    # While `create` returns and `start` comes: the launch (the platform's seccomp filter,
    # the first task in its namespaces up to its stub stop, the exec zygote). The task is
    # held there, nothing of the workload's program loaded, until `start` writes the fifo.
    sb.prepare()
    sb.kernel.on_init_launched = lambda host_pid: _write_init_pid(state_dir, host_pid)
    sb.kernel.hold_init = True
    platform = sb.kernel.platform

    def on_start() -> None:
        try:
            data = os.read(fifo, 1)
        except BlockingIOError:
            data = b""
        if data != b"g":
            platform.watch_fd(fifo, POLLIN)
            return
        platform.unwatch_fd(fifo)
        del sb.kernel.fd_handlers[fifo]
        os.close(fifo)
        sb.kernel.release_init()

    sb.kernel.fd_handlers[fifo] = on_start
    platform.watch_fd(fifo, POLLIN)
    gc.enable()
    try:
        code = sb.run()
    finally:
        server.close()
    _atomic_write(os.path.join(state_dir, EXIT_STATUS), f"{code}\n")
    return code


def _write_init_pid(state_dir: str, pid: int) -> None:
    from runsc_py.container.state import pid_start_time

    _atomic_write(os.path.join(state_dir, INIT_PID), f"{pid} {pid_start_time(pid) or 0}\n")


def _atomic_write(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.rename(tmp, path)
    except OSError as e:
        log.warning("cannot write %s: %s", path, e.strerror)


def init_pid(state_dir: str) -> int | None:
    """The host pid of the workload's first task, if it still runs."""
    from runsc_py.container.state import pid_start_time

    try:
        with open(os.path.join(state_dir, INIT_PID), encoding="utf-8") as f:
            pid, start = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return None
    return pid if pid_start_time(pid) == start else None


def sandbox_pids(state_dir: str) -> list[int]:
    """Host pids of the workload's tasks: every process in the first task's PID namespace."""
    init = init_pid(state_dir)
    if init is None:
        return []
    try:
        ns = os.stat(f"/proc/{init}/ns/pid").st_ino
    except OSError:
        return []
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}/ns/pid").st_ino == ns:
                out.append(int(name))
        except OSError:
            continue
    return sorted(out)
