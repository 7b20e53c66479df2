"""Fixtures for VFS tests: a scratch host tree, a sandbox root over it, and fake tasks.

A fake Task has real FdTable/FsContext/Credentials and a BufferBackend address space with
a bump allocator (`t.put(bytes) -> addr`, `t.buf(n) -> addr`). `call(t, handler, *args)`
runs a handler, driving async ones, and returns its result or the errno class it raised.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sentry.abi.errno import BY_NUMBER, SysError
from sentry.kernel.args import Args
from sentry.kernel.task_syscall import written
from sentry.kernel.creds import Credentials
from sentry.kernel.sysctl import Sysctl
from sentry.kernel.fd_table import FdTable
from sentry.kernel.memory import BufferBackend, Memory
from sentry.kernel.task import Task
from sentry.kernel.thread_group import host_rlimits
from sentry.kernel.wait import Timers
from sentry.vfs.fsimpl.rootfs import SandboxRoot, build_do_root

SCRATCH = 0x100000
SCRATCH_SIZE = 4 << 20


class Park:
    """What a parked handler yields in these tests: the wait source and events."""

    def __init__(self, source: Any, events: int) -> None:
        self.source, self.events = source, events

    def __await__(self):  # type: ignore[no-untyped-def]
        yield self


class FakeKernel:
    def __init__(self) -> None:
        self.thread_groups: dict[int, Any] = {}
        self.hostname = "sandbox"
        self.timers = Timers()
        self.sysctl = Sysctl()

    async def wait(self, t: Any, source: Any, events: int) -> None:
        await Park(source, events)


class FakeTG:
    def __init__(self, vpid: int, ppid: int = 0) -> None:
        self.vpid, self.ppid, self.pgid, self.sid = vpid, ppid, vpid, vpid
        self.exe_path = b"/bin/true"
        self.cmdline = b"true\0"
        self.tasks: list[Task] = []
        self.exit_status = None
        self.controlling_tty = None
        self.rlimits = host_rlimits()

    @property
    def leader(self) -> Task:
        return self.tasks[0]


def make_task(root: SandboxRoot, creds: Credentials | None = None, vpid: int = 1,
              kernel: FakeKernel | None = None) -> Task:
    kernel = kernel or FakeKernel()
    tg = FakeTG(vpid)
    backend = BufferBackend()
    backend.map(SCRATCH, SCRATCH_SIZE)
    t = Task(kernel, 1000 + vpid, vpid, tg, Memory(backend), FdTable(), root.fs_context(),  # type: ignore[arg-type]
             creds or Credentials())
    tg.tasks.append(t)
    kernel.thread_groups[vpid] = tg
    bump = [SCRATCH]

    def buf(n: int) -> int:
        addr = bump[0]
        bump[0] += (n + 15) & ~15
        return addr

    def put(data: bytes) -> int:
        addr = buf(len(data) + 1)
        t.mem.write(addr, data + b"\0")
        return addr

    t.buf = buf  # type: ignore[attr-defined]
    t.put = put  # type: ignore[attr-defined]
    return t


def call(t: Task, handler: Callable, *args: int) -> Any:
    """Runs handler(t, Args(args)); returns its int (a Written one's copy-out made) or the
    SysError class it raised."""
    raw = [a & ((1 << 64) - 1) for a in args] + [0] * (6 - len(args))
    try:
        r = handler(t, Args(raw))
        if isinstance(r, tuple):
            r = written(t, r)
            return r if r >= 0 else BY_NUMBER[-r]
        if isinstance(r, types.CoroutineType):
            try:
                r.send(None)
            except StopIteration as s:
                return s.value
            raise AssertionError("handler parked")
        return r
    except SysError as e:
        return type(e)


def user(uid: int = 1000, gid: int = 1000, groups: list[int] | None = None) -> Credentials:
    return Credentials(uid, gid, uid, gid, uid, gid, uid, gid, groups or [])


@pytest.fixture
def host_tree(tmp_path: Path) -> Path:
    return make_host_tree(tmp_path)


def make_host_tree(tmp_path: Path) -> Path:
    """A small host root under tmp_path: dirs, files, symlinks (some hostile)."""
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "passwd").write_bytes(b"root:x:0:0::/root:/bin/sh\n")
    (r / "etc" / "hosts").write_bytes(b"127.0.0.1 localhost\n")
    (r / "etc" / "sub").mkdir()
    (r / "etc" / "sub" / "deep").write_bytes(b"deep\n")
    (r / "bin").mkdir()
    (r / "bin" / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(r / "bin" / "tool", 0o755)
    (r / "secret").mkdir(mode=0o700)
    os.chmod(r / "secret", 0o700)
    (r / "secret" / "key").write_bytes(b"k")
    os.chmod(r / "secret" / "key", 0o600)
    (r / "proc").mkdir()
    (r / "dev").mkdir()
    (r / "tmp").mkdir()
    os.chmod(r / "tmp", 0o1777)
    os.symlink("/etc/passwd", r / "abs_link")
    os.symlink("../../../../../../etc/hosts", r / "etc" / "up_link")
    os.symlink("etc", r / "rel_dir_link")
    os.symlink("loop2", r / "loop1")
    os.symlink("loop1", r / "loop2")
    os.symlink("/nonexistent", r / "dangling")
    os.symlink(str(tmp_path), r / "escape")  # the host path of the tree's parent
    (tmp_path / "outside").write_bytes(b"host secret\n")
    return r


@pytest.fixture
def root(host_tree: Path) -> SandboxRoot:
    return build_do_root(str(host_tree))


@pytest.fixture
def t(root: SandboxRoot) -> Task:
    return make_task(root)
