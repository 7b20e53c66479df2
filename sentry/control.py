"""The Sentry's control socket: `runsc_py exec` starts a process inside a running sandbox.

Protocol (unix stream socket, one connection per exec'd process, JSON lines):
  client → {"args": [...], "env": [...], "cwd": "/", "uid": 0, "gid": 0, "groups": [],
            "capabilities": {"effective": <mask>, ...} (optional: else config.json's)}
           with its stdio (3 fds) attached by SCM_RIGHTS;
  Sentry → {"pid": <guest pid>, "host_pid": <host pid>}  or  {"error": "..."};
  Sentry → {"exit": <code>} when that process has exited (128+N for signal N).
The client (the exec proxy) relays signals to host_pid itself and exits with the code.

How the process comes to be inside the sandbox: at the first task's stub stop, before
its program is loaded, the Sentry forks it (an injected fork): the child, the *zygote*,
stays stopped forever as a copy of the bare stub, inside the sandbox's PID namespace,
under its seccomp filter (so its notifications come on the Sentry's one listener). An
exec injects a fork into the zygote, then, in the new task, the exec of the stub and the
loader, as execve does. The zygote takes a guest pid (2) but is no guest process. Its
exited children are reaped by an injected wait4.

Threads: accept() and reading a request run on a helper thread (SIGCHLD blocked there:
the native loop's handler must run on the loop's thread); it queues the request, arms
an eventfd in the loop and kicks the loop out of its notification wait with SIGCHLD.
Everything else runs in the loop, on the main thread.
"""

from __future__ import annotations

import array
import collections
import contextlib
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

from sentry.abi.errno import SysError
from sentry.abi.sysno import NUMBERS
from sentry.kernel import loader
from sentry.kernel.creds import Credentials
from sentry.kernel.fd_table import FdTable
from sentry.kernel.kernel import Kernel, exit_code
from sentry.kernel.memory import Memory
from sentry.kernel.process import ns_tid
from sentry.kernel.task import Task
from sentry.kernel.thread_group import RLIMIT_NOFILE, ThreadGroup
from sentry.platform.base import AddressSpace, Context, TaskDied
from sentry.platform.filter import DOORBELL
from sentry.vfs.fsimpl.rootfs import SandboxRoot, controlling_tty, stdio_files

log = logging.getLogger("sentry")

POLLIN = 1
WNOHANG, WALL = 1, 0x40000000
SYS_fork, SYS_wait4, SYS_execveat = NUMBERS["fork"], NUMBERS["wait4"], NUMBERS["execveat"]
MAX_REQUEST = 1 << 20


class ControlServer:
    def __init__(self, kernel: Kernel, root: SandboxRoot, path: str, *,
                 start: bool = True) -> None:
        """Listens on `path` at once (a client may connect from then on: it waits in the
        backlog); the thread that accepts starts now, or with start=False at start()."""
        self.kernel = kernel
        self.root = root
        self.path = path
        self.zygote: Context | None = None
        self.default_caps: dict[str, int] | None = None  # process.capabilities of config.json
        self.zygote_done = False  # the attempt to fork it was made
        self.queue: collections.deque[tuple[socket.socket, dict[str, Any], list[int]]] = (
            collections.deque())
        self.efd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        if os.path.exists(path):
            os.unlink(path)
        with short_path(path) as short:
            self.sock.bind(short)
        os.chmod(path, 0o600)
        self.sock.listen(16)
        self.main_tid = threading.main_thread().ident
        kernel.fd_handlers[self.efd] = self._serve
        kernel.on_init_stub = self._make_zygote
        self.thread = threading.Thread(target=self._accept_loop, name="control", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        # Born with SIGCHLD blocked: the loop's handler must never run on this thread.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        try:
            self.thread.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def close(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass

    # -- the helper thread ---------------------------------------------------------

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                req, fds = _read_request(conn)
            except (OSError, ValueError) as e:
                _send(conn, {"error": f"bad request: {e}"})
                conn.close()
                continue
            self.queue.append((conn, req, fds))
            os.eventfd_write(self.efd, 1)
            self.kernel.platform.watch_fd(self.efd, POLLIN)
            signal.pthread_kill(self.main_tid, signal.SIGCHLD)

    # -- in the loop -----------------------------------------------------------------

    def _serve(self) -> None:
        try:
            os.eventfd_read(self.efd)
        except BlockingIOError:
            pass
        if self.zygote is None and not self.zygote_done:
            return  # before the first task's stub stop: served by _make_zygote
        while self.queue:
            conn, req, fds = self.queue.popleft()
            try:
                reply = self._exec(conn, req, fds)
            except (SysError, OSError, ValueError, KeyError, TypeError) as e:
                reply = {"error": _describe(e)}
            finally:
                for fd in fds:
                    os.close(fd)
            _send(conn, reply)
            if "error" in reply:
                conn.close()

    def _make_zygote(self, init: Task) -> None:
        try:
            self._fork_zygote(init)
        finally:
            self.zygote_done = True
            if self.queue:  # requests that came before the workload started
                self._serve()

    def _fork_zygote(self, init: Task) -> None:
        p = self.kernel.platform
        try:
            vpid = p.inject(init.ctx, SYS_fork)
            host = _child_with_vpid(init.host_tid, vpid) if vpid > 0 else None
        except (OSError, TaskDied) as e:
            log.warning("exec support: forking the zygote failed: %s", e)
            return
        if host is None:
            log.warning("exec support: no zygote (fork returned %d)", vpid)
            return
        p.wait_task(host)  # its first stop (PTRACE_EVENT_STOP); it stays stopped
        self.zygote = Context(host)
        self.zygote.started = True

    def _exec(self, conn: socket.socket, req: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        k, p = self.kernel, self.kernel.platform
        if self.zygote is None:
            return {"error": "this sandbox cannot exec (no zygote)"}
        args = [os.fsencode(a) for a in req["args"]]
        if not args:
            return {"error": "no program given"}
        env = [os.fsencode(e) for e in req.get("env", [])]
        uid, gid = int(req.get("uid", 0)), int(req.get("gid", 0))
        creds = Credentials.for_ids(uid, gid, [int(g) for g in req.get("groups", [])])
        caps = req.get("capabilities", self.default_caps)  # runc: the container's if absent
        if caps is not None:
            creds.set_caps({k: int(v) for k, v in caps.items()})
        table = FdTable()
        stdio = stdio_files(tuple(fds), self.root)
        for f in stdio:
            table.install(f)
        tg = ThreadGroup(vpid=-1, ppid=0, host_pid=0)
        fs = self.root.fs_context(os.fsencode(req.get("cwd", "/")))
        t = Task(k, 0, -1, tg, Memory(AddressSpace(0)), table, fs, creds)
        tg.tasks.append(t)
        tg.controlling_tty = controlling_tty(stdio)
        init = k.thread_groups.get(1)
        if init is not None:
            tg.rlimits = list(init.rlimits)
        table.limit = tg.rlimits[RLIMIT_NOFILE][0]
        from sentry.sandbox import find_program

        path = find_program(t, args[0], _env_dict(req.get("env", [])))
        try:
            plan = loader.prepare(t, path, args, env)
        except SysError:
            table.close_all()
            raise
        vpid = p.inject(self.zygote, SYS_fork)
        host = _child_with_vpid(self.zygote.tid, vpid) if vpid > 0 else None
        if host is None:
            loader.release_plan(plan)
            table.close_all()
            return {"error": f"fork in the sandbox failed ({vpid})"}
        p.wait_task(host)  # its first stop
        t.host_tid, t.vtid = host, vpid
        tg.vpid, tg.host_pid, tg.pgid, tg.sid = vpid, host, vpid, vpid
        t.mem = Memory(AddressSpace(host))
        t.ctx = Context(host)
        t.ctx.started = True
        k.tasks[host] = t
        k.thread_groups[vpid] = tg
        k.exit_hooks[tg] = lambda g: self._exited(conn, g)
        try:
            fd = p.inject(t.ctx, DOORBELL, donate_fd=p.stub_fd)
            r = p.inject(t.ctx, SYS_execveat, fd, p.empty_string_addr, 0, 0, loader.AT_EMPTY_PATH)
            if r != 0:
                raise TaskDied(9 << 8)
            loader.load(t, plan)
        except TaskDied as d:
            k.on_exit(t, d.status)
            return {"pid": vpid, "host_pid": host}
        p.resume(t.ctx)
        return {"pid": vpid, "host_pid": host}

    def _exited(self, conn: socket.socket, tg: ThreadGroup) -> None:
        self.kernel.thread_groups.pop(tg.vpid, None)
        if self.zygote is not None:
            try:  # the host zombie is the zygote's child
                self.kernel.platform.inject(self.zygote, SYS_wait4, tg.vpid, 0, WNOHANG | WALL, 0)
            except (OSError, TaskDied) as e:
                log.debug("reaping exec'd process %d: %s", tg.vpid, e)
        _send(conn, {"exit": exit_code(tg.exit_status or 0)})
        conn.close()


@contextlib.contextmanager
def short_path(path: str) -> Iterator[str]:
    """A name for `path` that fits in sockaddr_un (108 bytes): through /proc/self/fd of
    its directory when it is longer (state dirs under deep roots with 64-char ids)."""
    if len(os.fsencode(path)) < 100:
        yield path
        return
    fd = os.open(os.path.dirname(path) or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{os.path.basename(path)}"
    finally:
        os.close(fd)


def _describe(e: Exception) -> str:
    if isinstance(e, (SysError, OSError)) and e.errno:
        return os.strerror(e.errno)
    return f"bad request: {e!r}"


def _env_dict(env: list[str]) -> dict[str, str]:
    return dict(kv.partition("=")[::2] for kv in env)


def _send(conn: socket.socket, msg: dict[str, Any]) -> None:
    try:
        conn.sendall(json.dumps(msg).encode() + b"\n")
    except OSError:
        pass


def _read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds = b"", []
    while not data.endswith(b"\n"):
        msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(payload[: len(payload) - len(payload) % a.itemsize])
                fds.extend(a)
        if not msg:
            break
        data += msg
        if len(data) > MAX_REQUEST:
            raise ValueError("request too long")
    for fd in fds:
        os.set_inheritable(fd, False)
    req = json.loads(data)
    if not isinstance(req, dict) or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ValueError("expected a JSON object and 3 fds")
    return req, fds


def _child_with_vpid(parent_host: int, vpid: int) -> int | None:
    """The host pid of `parent_host`'s child whose pid in the sandbox is `vpid`."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        ppid = int(data[data.rindex(b")") + 2:].split()[1])
        if ppid == parent_host:
            try:
                if ns_tid(int(name)) == vpid:
                    return int(name)
            except (OSError, RuntimeError):
                continue
    return None
