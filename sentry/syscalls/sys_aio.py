"""Linux native AIO: io_setup, io_destroy, io_submit, io_cancel, io_getevents and
io_pgetevents (fs/aio.c), on the contexts and rings of sentry/kernel/aio.py.

io_submit does each request in the Sentry as Linux does for files without O_DIRECT: reads
and writes complete before the call returns (a pipe or socket with nothing to read makes it
wait, as on Linux), fsync too; IOCB_CMD_POLL completes at once if its file is ready, else
when it becomes so. An I/O error is the event's result, a bad request io_submit's. Events
go to the ring; IOCB_FLAG_RESFD adds one to an eventfd for each.

Differences: io_pgetevents waits under the thread's own signal mask (its mask argument is
checked, not applied); IOCB_CMD_POLL on host-backed files (host stdio, hostinet sockets)
is EINVAL; a signal that interrupts a read waiting in io_submit fails the call (Linux
completes the request with -EINTR).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from time import monotonic as clock

from sentry.abi.errno import (
    BY_NUMBER, EAGAIN, EBADF, EFAULT, EINPROGRESS, EINTR, EINVAL, EOPNOTSUPP, Restart, SysError,
)
from sentry.kernel import aio
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.kernel.wait import wait_any
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, POLLOUT, WaitQueue
from sentry.syscalls.sys_read_write import _copy_in, _copy_out, _iovecs, fsize_limit
from sentry.vfs.file import FileDescription, SeekableFile
from sentry.vfs.fsimpl.eventfd import EventFd
from sentry.vfs.fsimpl.host.machine import host_sys_file

SYS_mmap, SYS_munmap, SYS_madvise = 9, 11, 28
PROT_RW, MAP_PRIVATE_ANON, MADV_DONTFORK = 3, 0x22, 10
IOCB = struct.Struct("<QIiHhIQQqQII")  # struct iocb (64 bytes)
IOCB_CMD_PREAD, IOCB_CMD_PWRITE, IOCB_CMD_FSYNC, IOCB_CMD_FDSYNC = 0, 1, 2, 3
IOCB_CMD_POLL, IOCB_CMD_PREADV, IOCB_CMD_PWRITEV = 5, 7, 8
IOCB_FLAG_RESFD = 1
KIOCB_KEY = 0
RWF_SUPPORTED = 0x7F  # RWF_HIPRI … RWF_NOAPPEND: accepted (the I/O is done at once anyway)
MAX_RW_COUNT = 0x7FFFF000
_TS = struct.Struct("<qq")


def _possible_cpus() -> int:
    """num_possible_cpus(), which the ring's size depends on."""
    text = host_sys_file("devices/system/cpu/possible") or b""
    count = 0
    for part in text.strip().split(b","):
        lo, _, hi = part.partition(b"-")
        if lo.isdigit():
            count += int(hi if hi.isdigit() else lo) - int(lo) + 1
    return count or 1


def _lookup(t: Task, ctx_id: int) -> aio.AioContext:
    ctx = t.tg.mm.aio.get(ctx_id)
    if ctx is None or ctx.dead:
        raise EINVAL()
    return ctx


def _inject(t: Task, nr: int, *args: int) -> int:
    r = t.kernel.platform.inject(t.ctx, nr, *args)
    if -4096 < r < 0:
        raise BY_NUMBER[-r]()
    return r


# --- contexts ------------------------------------------------------------------------
def sys_io_setup(t: Task, a: Args) -> int:
    """Implements io_setup(2): a ring mapped in the task (sentry/kernel/aio.py)."""
    nr_events, ctxp = a.uint(0), a.ptr(1)
    if t.mem.read_u64(ctxp) or not nr_events:
        raise EINVAL()
    cpus = _possible_cpus()
    nr = aio.ring_slots(nr_events, cpus)
    if nr is None:
        raise EINVAL()
    in_use = sum(c.max_reqs for tg in t.kernel.thread_groups.values()
                 for c in tg.mm.aio.values())
    if nr_events > aio.AIO_MAX_NR or in_use + nr_events > aio.AIO_MAX_NR:
        raise EAGAIN()
    size = aio.ring_pages(nr) * aio.PAGE
    addr = _inject(t, SYS_mmap, 0, size, PROT_RW, MAP_PRIVATE_ANON, -1, 0)
    _inject(t, SYS_madvise, addr, size, MADV_DONTFORK)  # Linux's ring is VM_DONTCOPY
    mm = t.tg.mm
    index = min(set(range(len(mm.aio) + 1)) - {c.index for c in mm.aio.values()})
    ctx = mm.aio[addr] = aio.AioContext(addr, index, nr, nr_events, t.tg, cpus)
    ctx.init_ring()
    try:
        t.mem.write_u64(ctxp, addr)
    except EFAULT:
        _destroy(t, ctx)
        raise
    return 0


def _destroy(t: Task, ctx: aio.AioContext) -> None:
    ctx.kill()
    t.tg.mm.aio.pop(ctx.id, None)
    t.kernel.platform.inject(t.ctx, SYS_munmap, ctx.id, ctx.size)


def sys_io_destroy(t: Task, a: Args) -> int:
    """Implements io_destroy(2): pending polls are dropped, the ring unmapped."""
    _destroy(t, _lookup(t, a.ulong(0)))
    return 0


# --- submitting ----------------------------------------------------------------------
async def sys_io_submit(t: Task, a: Args) -> int:
    """Implements io_submit(2): the requests in order; the count done, or the first one's
    error."""
    ctx_id, nr, addr = a.ulong(0), a.long(1), a.ptr(2)
    if nr < 0:
        raise EINVAL()
    ctx = _lookup(t, ctx_id)
    done = 0
    for i in range(min(nr, ctx.nr)):
        try:
            await _submit_one(t, ctx, t.mem.read_u64(addr + 8 * i))
        except SysError:
            if done:
                break
            raise
        done += 1
    return done


async def _submit_one(t: Task, ctx: aio.AioContext, user_iocb: int) -> None:
    (data, _key, rw_flags, opcode, _prio, fd, buf, nbytes, offset, reserved2, flags,
     resfd) = IOCB.unpack(t.mem.read(user_iocb, IOCB.size))
    if reserved2 or nbytes >> 63:
        raise EINVAL()
    if ctx.room() <= 0:
        raise EAGAIN()
    f = t.fds.get(fd)
    efd = None
    if flags & IOCB_FLAG_RESFD:
        efd = t.fds.get(resfd)
        if not isinstance(efd, EventFd):
            raise EINVAL()
    t.mem.write_u32(user_iocb + 8, KIOCB_KEY)

    def complete(res: int) -> None:
        ctx.complete(data, user_iocb, res)
        if efd is not None:
            efd.signal()

    if opcode in (IOCB_CMD_PREAD, IOCB_CMD_PWRITE, IOCB_CMD_PREADV, IOCB_CMD_PWRITEV):
        if rw_flags & ~RWF_SUPPORTED:
            raise EOPNOTSUPP()
        write = opcode in (IOCB_CMD_PWRITE, IOCB_CMD_PWRITEV)
        if not (f.writable if write else f.readable) or f.is_path:
            raise EBADF()
        vectored = opcode in (IOCB_CMD_PREADV, IOCB_CMD_PWRITEV)
        iovs = _iovecs(t, buf, nbytes) if vectored else [(buf, min(nbytes, MAX_RW_COUNT))]
        if offset < 0 and isinstance(f, SeekableFile):
            raise EINVAL()
        complete(await _rw(t, f, iovs, offset, write))
    elif opcode in (IOCB_CMD_FSYNC, IOCB_CMD_FDSYNC):
        if buf or offset or nbytes or rw_flags:
            raise EINVAL()
        complete(_result(f.fsync))
    elif opcode == IOCB_CMD_POLL:
        _poll(ctx, f, buf, offset, nbytes, rw_flags, user_iocb, complete)
    else:
        raise EINVAL()


def _result(op: Callable[[], object]) -> int:
    """An I/O's event result: 0, or -errno."""
    try:
        op()
    except SysError as e:
        return -e.errno
    return 0


async def _rw(t: Task, f: FileDescription, iovs: list[tuple[int, int]], offset: int,
              write: bool) -> int:
    """One read or write, positional on a seekable file: the bytes moved or -errno."""
    n = sum(length for _, length in iovs)
    try:
        if isinstance(f, SeekableFile):
            if write:
                data = _copy_in(t, iovs) if n else b""
                data = data[:fsize_limit(t, f, offset, len(data))]
                return f.pwrite(data, offset)
            return _copy_out(t, f, iovs, f.pread(n, offset), positional=True) if n else 0
        if write:
            data = _copy_in(t, iovs) if n else b""
            return await t.io_wait(f, POLLOUT, lambda: f.write(data))
        got = await t.io_wait(f, POLLIN, lambda: f.read(n))
        return _copy_out(t, f, iovs, got) if got else 0
    except (Restart, EINTR):
        raise  # a signal: the call's, not the request's
    except SysError as e:
        return -e.errno


def _poll(ctx: aio.AioContext, f: FileDescription, events: int, offset: int, nbytes: int,
          rw_flags: int, user_iocb: int, complete: Callable[[int], None]) -> None:
    """IOCB_CMD_POLL: now if ready (the events asked for), else at the first notify that
    finds the file ready (all it polls)."""
    if events >> 16 or offset or nbytes or rw_flags:
        raise EINVAL()
    ready = f.poll_events() & (events | POLLERR | POLLHUP)
    if ready:
        complete(ready)
        return
    queue = f.wait_source()
    if not isinstance(queue, WaitQueue):
        raise EINVAL()  # a host-backed file: not supported
    aio.PollRequest(ctx, f, queue, events, user_iocb, complete)


async def sys_io_getevents(t: Task, a: Args) -> int:
    """Implements io_getevents(2)."""
    deadline = _deadline(t, a.ptr(4))
    return await _getevents(t, a.ulong(0), a.long(1), a.long(2), a.ptr(3), deadline)


async def sys_io_pgetevents(t: Task, a: Args) -> int:
    """Implements io_pgetevents(2). Differences: the signal mask is checked, not applied."""
    deadline = _deadline(t, a.ptr(4))
    usig = a.ptr(5)
    if usig:
        mask, size = struct.unpack("<QQ", t.mem.read(usig, 16))
        if mask and size != 8:
            raise EINVAL()
        if mask:
            t.mem.read(mask, 8)
    return await _getevents(t, a.ulong(0), a.long(1), a.long(2), a.ptr(3), deadline)


def _deadline(t: Task, addr: int) -> float | None:
    """The timeout as Linux reads it: no validity check; 0 or negative: one look."""
    if not addr:
        return None
    sec, nsec = _TS.unpack(t.mem.read(addr, _TS.size))
    return clock() + sec + nsec / 1e9


async def _getevents(t: Task, ctx_id: int, min_nr: int, nr: int, events: int,
                     deadline: float | None) -> int:
    ctx = _lookup(t, ctx_id)
    if not 0 <= min_nr <= nr:
        raise EINVAL()
    got = 0
    while True:
        raw, head = ctx.peek(nr - got)
        if raw:
            try:
                t.mem.write(events + got * aio.EVENT.size, raw)
            except EFAULT:
                if got:
                    return got
                raise
            ctx.commit(head)
            got += len(raw) // aio.EVENT.size
        if got >= min_nr:
            return got
        if ctx.dead:
            if got:
                return got
            raise EINVAL()
        if deadline is not None and clock() >= deadline:
            return got
        await wait_any(t, [(ctx.queue, POLLIN)], deadline)


def sys_io_cancel(t: Task, a: Args) -> int:
    """Implements io_cancel(2): a pending poll is cancelled (its event, result 0, goes to
    the ring): EINPROGRESS; anything else is done already: EINVAL."""
    ctx = _lookup(t, a.ulong(0))
    user_iocb = a.ptr(1)
    if t.mem.read_u32(user_iocb + 8) != KIOCB_KEY:
        raise EINVAL()
    req = ctx.pending.get(user_iocb)
    if req is None:
        raise EINVAL()
    req.finish(0)
    raise EINPROGRESS()
