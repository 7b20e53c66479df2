"""The exec proxy: the host process that stands for a process exec'd into a sandbox.

It sends the process's description and its stdio (the proxy's own fds 0-2, or a new
pty's slave) over the Sentry's control socket (sentry/control.py), learns the host pid,
relays the signals it receives to it, and exits with the process's status, which the
Sentry sends when the process exits (137 if the sandbox dies first).
"""

from __future__ import annotations

import array
import json
import logging
import os
import signal
import socket
from typing import Any

from runsc_py.container import lifecycle, sandbox
from runsc_py.container.sandbox import short_path
from runsc_py.container.state import ContainerError, Store
from runsc_py import log as cli_log

log = logging.getLogger("runsc_py")

RELAYED = [s for s in signal.valid_signals()
           if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGPIPE)
           and s < 65]


def exec_process(store: Store, cid: str, proc: dict[str, Any], *, detach: bool,
                 pid_file: str | None, console_socket: str | None) -> int:
    st = lifecycle.running_state(store, cid)
    if st.state.value != "running":
        raise ContainerError(f"cannot exec in a {st.status} container")
    path = os.path.join(store.dir(cid), sandbox.CONTROL_SOCK)
    if not os.path.exists(path):
        raise ContainerError(f"container {cid} is not running (no control socket)")
    if proc.get("terminal") and not console_socket:
        raise ContainerError("exec: process.terminal needs --console-socket")
    if not detach:
        rf, host = _connect_and_start(path, proc, console_socket, detach=False)
        return _relay_and_wait(rf, host)
    r, w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 255
        try:
            os.setsid()
            rf, host = _connect_and_start(path, proc, console_socket, detach=True, keep={w})
            os.write(w, b"ok")
            os.close(w)
            code = _relay_and_wait(rf, host)
        except BaseException as e:  # noqa: BLE001 - never return into the CLI
            try:
                os.write(w, f"error: {e}".encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    os.close(w)
    msg = b""
    while chunk := os.read(r, 4096):
        msg += chunk
    os.close(r)
    text = msg.decode(errors="replace")
    if text != "ok":
        os.waitpid(pid, 0)
        raise ContainerError(text.removeprefix("error: ") or "exec proxy died")
    if pid_file:
        lifecycle._write_pid_file(pid_file, pid)
    return 0


def _connect_and_start(path: str, proc: dict[str, Any], console_socket: str | None, *,
                       detach: bool, keep: set[int] = frozenset()) -> tuple[Any, int]:
    user = proc.get("user") or {}
    req = {"args": proc["args"], "env": proc.get("env") or [], "cwd": proc.get("cwd") or "/",
           "uid": user.get("uid", 0), "gid": user.get("gid", 0),
           "groups": user.get("additionalGids") or []}
    if proc.get("capabilities") is not None:
        from runsc_py.container.spec import capabilities

        req["capabilities"] = capabilities(proc["capabilities"], "process.capabilities")
    slave = -1
    if proc.get("terminal"):
        slave = sandbox.open_terminal(console_socket or "")
        fds = [slave, slave, slave]
    else:
        fds = [0, 1, 2]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    with short_path(path) as short:
        conn.connect(short)
    conn.sendmsg([json.dumps(req).encode() + b"\n"],
                 [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
    if slave >= 0:
        os.close(slave)
    rf = conn.makefile("rb")
    reply = _read_line(rf)
    if reply is None:
        raise ContainerError("exec: the sandbox closed the connection")
    if "error" in reply:
        raise ContainerError(f"exec failed: {reply['error']}")
    if detach:
        # Only the Sentry keeps the process's stdio: the shim sees EOF when it exits.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        sandbox._close_inherited({conn.fileno()} | cli_log.log_fds() | set(keep))
    return rf, int(reply["host_pid"])


def _relay_and_wait(rf: Any, host_pid: int) -> int:
    def relay(sig: int, _frame: Any) -> None:
        try:
            os.kill(host_pid, sig)
        except ProcessLookupError:
            pass

    for s in RELAYED:
        try:
            signal.signal(s, relay)
        except (OSError, ValueError):
            pass
    reply = _read_line(rf)
    if reply is None or "exit" not in reply:
        return 128 + signal.SIGKILL
    return int(reply["exit"])


def _read_line(rf: Any) -> dict[str, Any] | None:
    line = rf.readline()
    return json.loads(line) if line.endswith(b"\n") else None
