"""splice, tee and vmsplice: moving bytes into, out of and between pipes.

The Sentry copies (Linux moves page references); what programs can observe is the same:
splice from a pipe consumes, tee does not, offsets move as Linux moves them, a pipe end
waits for data or room unless SPLICE_F_NONBLOCK or O_NONBLOCK says EAGAIN.
Differences: SPLICE_F_MOVE and SPLICE_F_GIFT change nothing (as on Linux today);
inotify sees no IN_ACCESS/IN_MODIFY from these calls.
"""

from __future__ import annotations

from sentry.abi.errno import EAGAIN, EBADF, EINVAL, EPIPE, ESPIPE
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.syscalls.sys_read_write import fsize_cut, fsize_limit
from sentry.kernel.waiter import POLLIN, POLLOUT
from sentry.syscalls.sys_read_write import (
    MAX_RW_COUNT, _copy_in, _copy_out, _iovecs, _sigpipe, _total, _write,
)
from sentry.vfs.constants import O_APPEND
from sentry.vfs.file import FileDescription
from sentry.vfs.fsimpl.pipe import Pipe, PipeFile

SPLICE_F_NONBLOCK = 2
SPLICE_F_ALL = 0xF


def _pipe(f: FileDescription) -> Pipe | None:
    return f.pipe if isinstance(f, PipeFile) else None


def _offset(t: Task, ptr: int) -> int | None:
    if not ptr:
        return None
    off = t.mem.read_i64(ptr)
    if off < 0:
        raise EINVAL()
    return off


async def _wait_data(t: Task, f: FileDescription, p: Pipe, nonblock: bool) -> bool:
    """Waits until p has bytes; False at EOF (no writer left)."""
    while not p.pages:
        if p.writers == 0:
            return False
        if nonblock or f.nonblocking:
            raise EAGAIN()
        await t.wait_on(p.queue, POLLIN)
    return True


async def _wait_room(t: Task, f: FileDescription, p: Pipe, nonblock: bool) -> None:
    """Waits until p can take a page; EPIPE (and SIGPIPE) without readers."""
    while True:
        if p.readers == 0:
            _sigpipe(t)
            raise EPIPE()
        if p.room():
            return
        if nonblock or f.nonblocking:
            raise EAGAIN()
        await t.wait_on(p.queue, POLLOUT)


async def sys_splice(t: Task, a: Args) -> int:
    """Implements splice(2)."""
    fd_in, offp_in, fd_out, offp_out = a.int(0), a.ptr(1), a.int(2), a.ptr(3)
    length, flags = min(a.size(4), MAX_RW_COUNT), a.uint(5)
    if flags & ~SPLICE_F_ALL:
        raise EINVAL()
    fin, fout = t.fds.get(fd_in), t.fds.get(fd_out)
    if not fin.readable or not fout.writable:
        raise EBADF()
    pin, pout = _pipe(fin), _pipe(fout)
    if pin is None and pout is None:
        raise EINVAL()
    if (pin is not None and offp_in) or (pout is not None and offp_out):
        raise ESPIPE()
    if pin is not None and pin is pout:
        raise EINVAL()
    if fout.flags & O_APPEND:
        raise EINVAL()
    off_in, off_out = _offset(t, offp_in), _offset(t, offp_out)
    if length == 0:
        return 0
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    if pin is not None:
        if not await _wait_data(t, fin, pin, nonblock):
            return 0
        if pout is not None:
            await _wait_room(t, fout, pout, nonblock)
            length = min(length, pout.room())
        wanted = length = min(length, pin.size)
        if pout is None:
            length = fsize_limit(t, fout, fout.offset if off_out is None else off_out, length)
        data = pin.read(length)
        try:
            if pout is not None:
                n = pout.write(data, False)
            elif off_out is not None:
                n = fout.pwrite(data, off_out)
            else:
                n = fout.write(data)
        except BaseException:
            pin.unread(data)
            raise
        pin.unread(data[n:])
        if off_out is not None:
            t.mem.write_u64(offp_out, off_out + n)
        if pout is None and n == length < wanted:  # cut at RLIMIT_FSIZE
            fsize_cut(t, fout, fout.offset if off_out is None else off_out + n, True)
        return n
    assert pout is not None
    await _wait_room(t, fout, pout, nonblock)
    want = min(length, pout.room())
    while True:
        try:
            data = fin.read(want) if off_in is None else fin.pread(want, off_in)
            break
        except EAGAIN:
            if nonblock or fin.nonblocking:
                raise
            await t.wait_on(fin.wait_source(), POLLIN)
    if not data:
        return 0
    n = pout.write(data, False)
    if off_in is not None:
        t.mem.write_u64(offp_in, off_in + n)
    return n


async def sys_tee(t: Task, a: Args) -> int:
    """Implements tee(2)."""
    fd_in, fd_out, length, flags = a.int(0), a.int(1), min(a.size(2), MAX_RW_COUNT), a.uint(3)
    if flags & ~SPLICE_F_ALL:
        raise EINVAL()
    fin, fout = t.fds.get(fd_in), t.fds.get(fd_out)
    if not fin.readable or not fout.writable:
        raise EBADF()
    pin, pout = _pipe(fin), _pipe(fout)
    if pin is None or pout is None or pin is pout:
        raise EINVAL()
    if length == 0:
        return 0
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    if not await _wait_data(t, fin, pin, nonblock):
        return 0
    await _wait_room(t, fout, pout, nonblock)
    return pout.write(pin.peek(min(length, pout.room())), False)


async def sys_vmsplice(t: Task, a: Args) -> int:
    """Implements vmsplice(2): user memory into a pipe's write end, or out of its read end."""
    f, flags = t.fds.get(a.int(0)), a.uint(3)
    p = _pipe(f)
    if p is None:
        raise EBADF()
    if flags & ~SPLICE_F_ALL:
        raise EINVAL()
    iovs = _iovecs(t, a.ptr(1), a.int(2))
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    if f.writable:
        if nonblock and not p.room() and p.readers:
            raise EAGAIN()
        return await _write(t, f, _copy_in(t, iovs))
    if nonblock and not p.pages and p.writers:
        raise EAGAIN()
    return await t.io_wait(f, POLLIN, lambda: _copy_out(t, f, iovs, f.read(_total(iovs))))
