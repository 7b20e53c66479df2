"""The loop's fast path for path calls: the path read with the notification (Args.path,
table.READ_AHEAD), and the result's copy-out made with the answer (a Written result,
task_syscall.written). The sandboxed side is the differential probe path_ahead."""

from __future__ import annotations

import struct

import pytest

from sentry.abi.errno import EFAULT, EINVAL, ENOENT, SysError
from sentry.abi.sysno import NAMES
from sentry.kernel.args import AHEAD_ARG, AHEAD_PATH, Args
from sentry.kernel.task import Task
from sentry.kernel.task_syscall import MAX_NR, dispatch, written
from sentry.platform import base
from sentry.syscalls.table import READ_AHEAD, TABLE, resolve
from sentry.vfs.constants import AT_FDCWD, O_RDONLY
from tests.unit.vfs.conftest import SCRATCH, SCRATCH_SIZE

M64 = (1 << 64) - 1


def ahead(regs: list[int], i: int, path: bytes) -> Args:
    """Args as the loop makes them from a notification whose argument i's path it read."""
    v = [r & M64 for r in regs] + [0] * (6 - len(regs)) + [1, 1000, 0, 7]
    assert len(v) == AHEAD_ARG
    return Args(v + [i + 1, path])


class NoReads:
    def __init__(self) -> None:
        self.addrs: list[int] = []

    def __call__(self, addr: int) -> bytes:
        self.addrs.append(addr)
        raise AssertionError(f"path read again at {addr:#x}")


def test_path_takes_the_read_ahead_copy(t: Task) -> None:
    a = ahead([t.put(b"/old"), t.put(b"/etc/hosts")], 1, b"/etc/passwd")
    assert a.path(1, t.mem) == b"/etc/passwd"  # what the loop read, not read again
    assert a.path(0, t.mem) == b"/old"  # another argument: read from memory


def test_path_reads_memory_without_a_read_ahead(t: Task) -> None:
    p = t.put(b"/etc/hosts")
    assert Args([AT_FDCWD & M64, p, 0, 0, 0, 0]).path(1, t.mem) == b"/etc/hosts"
    # The loop's tuple with nothing read ahead (too long, bad pointer): read, with its errors.
    none = Args([AT_FDCWD & M64, 8, 0, 0, 0, 0, 1, 1000, 0, 7, 0, b""])
    with pytest.raises(EFAULT):
        none.path(1, t.mem)


def _regs(t: Task, name: str, path_at: int) -> list[int]:
    """Plausible registers for each READ_AHEAD call, its path pointer at path_at."""
    buf = t.buf(512)
    how = t.put(struct.pack("<QQQ", O_RDONLY, 0, 0))
    return {
        "open": [path_at, O_RDONLY, 0],
        "stat": [path_at, buf],
        "lstat": [path_at, buf],
        "access": [path_at, 4],
        "readlink": [path_at, buf, 64],
        "openat": [AT_FDCWD, path_at, O_RDONLY, 0],
        "newfstatat": [AT_FDCWD, path_at, buf, 0],
        "readlinkat": [AT_FDCWD, path_at, buf, 64],
        "faccessat": [AT_FDCWD, path_at, 4],
        "statx": [AT_FDCWD, path_at, 0, 0x7FF, buf],
        "openat2": [AT_FDCWD, path_at, how, 24],
        "faccessat2": [AT_FDCWD, path_at, 4, 0],
    }[name]


def _run(t: Task, handler, a: Args):  # -> int or the SysError class
    try:
        r = handler(t, a)
    except SysError as e:
        return type(e)
    if isinstance(r, tuple):  # a Written result: the copy-out made as the loop would
        r = written(t, r)
    assert isinstance(r, int), r  # (none of these parks on a directory or a symlink)
    return r


@pytest.mark.parametrize("nr", sorted(READ_AHEAD), ids=lambda nr: NAMES[nr])
def test_read_ahead_handlers_take_the_path_given(t: Task, nr: int) -> None:
    """A call in READ_AHEAD answers for the path the loop read (memory holds another), and
    never reads it again: a handler that did would pay for the path twice."""
    name = TABLE[nr].name
    handler = resolve(TABLE[nr])
    i = READ_AHEAD[nr]
    regs = _regs(t, name, t.put(b"/does/not/exist"))
    reads = NoReads()
    t.mem.read_path = reads  # type: ignore[misc]
    if name.startswith("readlink"):
        assert _run(t, handler, ahead(regs, i, b"/abs_link")) == len(b"/etc/passwd")
        assert _run(t, handler, ahead(regs, i, b"/etc")) is EINVAL
    else:
        assert _run(t, handler, ahead(regs, i, b"/etc")) >= 0
        assert _run(t, handler, ahead(regs, i, b"/nope")) is ENOENT
    assert not reads.addrs, f"{name} read its path from memory"


def test_a_written_result_is_made_by_dispatch(t: Task) -> None:
    """(addr, data, value): value once data is at addr, -EFAULT (and nothing) if it cannot
    all be, as the hot path's C answer (st_answer_write) does it."""
    buf = t.buf(16)
    handlers = [None] * MAX_NR
    handlers[0] = lambda t, a: (a[0], b"abc", 3)
    assert dispatch(handlers, t, 0, [buf, 0, 0, 0, 0, 0]) == 3
    assert t.mem.read(buf, 3) == b"abc"
    assert dispatch(handlers, t, 0, [8, 0, 0, 0, 0, 0]) == -EFAULT.errno
    end = SCRATCH + SCRATCH_SIZE - 2  # two of the three bytes mapped
    assert written(t, (end, b"xyz", 0)) == -EFAULT.errno
    assert written(t, (buf, b"", 7)) == 7


def test_the_table_names_real_path_arguments() -> None:
    for nr, i in READ_AHEAD.items():
        assert nr in TABLE and TABLE[nr].lane == "notify", NAMES.get(nr)
        assert 0 <= i < 6
    assert base.NOTIFY_LAYOUT.size == 356  # the C struct's prefix (checked at start-up too)
    assert AHEAD_PATH == AHEAD_ARG + 1
