"""poll, ppoll, select, pselect6: readiness of any mix of Sentry files and host fds.

Each call scans its files (FileDescription.poll_events), and if none is ready and time is
left, parks on all their wait sources at once with its deadline (sentry/kernel/wait.py),
then scans again. A signal cancels the parked call (the notify lane's restart rules).
The signal mask of ppoll and pselect6 is Linux's temporary mask (with_sigmask).

Differences from Linux: poll and select, and ppoll and pselect6 without a mask, restarted
after a signal that ran no handler (a stop and continue, an ignored signal) wait their
full timeout again (Linux: the time left).
"""

from __future__ import annotations

import struct
import time
from typing import Any

from sentry.abi.errno import EBADF, EINVAL
from sentry.kernel import signals
from sentry.kernel.args import Args
from sentry.kernel.sigmask import INTERRUPTED
from sentry.kernel.task import Task
from sentry.kernel.wait import wait_any
from sentry.kernel.waiter import (
    POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM,
)
from sentry.vfs.fsimpl.epoll import EpollFile

POLLRDBAND = 0x080
POLLWRBAND = 0x200
# select's sets, as Linux's fs/select.c defines them.
POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR
POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR
POLLEX_SET = POLLPRI
SIGSET_SIZE = 8
NSEC = 1_000_000_000
clock = time.monotonic  # the kernel's timer clock (wait.Timers)

_POLLFD = struct.Struct("<ihh")
_TS = struct.Struct("<qq")


# --- timeouts -----------------------------------------------------------------------
def _deadline(sec: int, nsec: int) -> float | None:
    """The deadline of a valid relative timeout (0/0: now, so the call does not wait)."""
    return clock() + sec + nsec / NSEC


def _read_timespec(t: Task, addr: int) -> float | None:
    """ppoll/pselect6's timeout: None (NULL: no limit) or a deadline; EINVAL if invalid."""
    if not addr:
        return None
    sec, nsec = _TS.unpack(t.mem.read(addr, _TS.size))
    if sec < 0 or not 0 <= nsec < NSEC:
        raise EINVAL()
    return _deadline(sec, nsec)


def _read_timeval(t: Task, addr: int) -> float | None:
    """select's timeout: negative fields are EINVAL, usec past a second carries over."""
    if not addr:
        return None
    sec, usec = _TS.unpack(t.mem.read(addr, _TS.size))
    if sec < 0 or usec < 0:
        raise EINVAL()
    return _deadline(sec + usec // 1_000_000, usec % 1_000_000 * 1000)


def _write_left(t: Task, addr: int, deadline: float | None, start: float, usec: bool) -> None:
    """Writes the time left back (Linux does for these calls, except for a zero timeout);
    a timeout in read-only memory is not an error."""
    if not addr or deadline is None or deadline <= start:
        return
    left = max(0.0, deadline - clock())
    sec = int(left)
    frac = int((left - sec) * NSEC)
    t.mem.write_partial(addr, _TS.pack(sec, frac // 1000 if usec else frac))


_UNBLOCKABLE = 1 << 8 | 1 << 18  # SIGKILL, SIGSTOP (bits sig - 1)


def _check_sigmask(t: Task, mask: int, size: int) -> int | None:
    """Validates a sigmask argument; returns the mask (None without one), SIGKILL and
    SIGSTOP left out as the kernel does."""
    if mask:
        if size != SIGSET_SIZE:
            raise EINVAL()
        return int.from_bytes(t.mem.read(mask, SIGSET_SIZE), "little") & ~_UNBLOCKABLE
    return None


async def with_sigmask(t: Task, mask: int | None, wait: Any) -> int:
    """Awaits `wait` (a handler's scan-and-park loop) with the call's temporary signal
    mask: only a pending signal it unblocks ends the wait (signal_ends), whatever the
    thread's own mask. The loop then returns INTERRUPTED, and the host delivers the signal
    under this mask (sentry/kernel/sigmask.py); kernel.signals_sent wakes the parked call
    to look."""
    if mask is None:
        return await wait
    t.wait_sigmask = mask
    try:
        return await wait
    finally:
        t.wait_sigmask = None


def signal_ends(t: Task) -> bool:
    """Whether a pending signal ends the wait of a call with a temporary mask."""
    return t.wait_sigmask is not None and signals.interrupts_wait(t.host_tid, t.wait_sigmask)


async def _until_ready(t: Task, scan: Any, deadline: float | None) -> int:
    """Runs scan() -> (count, wait sources) until count > 0 or the deadline passes, or
    INTERRUPTED (signal_ends), looked at before the deadline as Linux's do_poll does."""
    while True:
        n, waits = scan()
        if n:
            return n
        if signal_ends(t):
            return INTERRUPTED
        if deadline is not None and clock() >= deadline:
            return 0
        await wait_any(t, waits, deadline)


# --- poll ---------------------------------------------------------------------------
def _poll_scan(t: Task, fds: list[list[int]]) -> tuple[int, list[tuple[Any, int]]]:
    """Fills each entry's revents; returns (entries with revents, wait sources)."""
    n, waits = 0, []
    for e in fds:
        fd, events = e[0], e[1] & 0xFFFF
        rev = 0
        if fd >= 0:
            f = t.fds.get(fd) if fd in t.fds else None
            if f is None or f.is_path:
                rev = POLLNVAL
            else:
                rev = f.poll_events() & (events | POLLERR | POLLHUP)
                src = f.wait_source() if not rev else None
                if f.__class__ is EpollFile and not rev:
                    waits.extend(f.waits())  # its queue, and host edges of its entries
                elif src is not None:
                    waits.append((src, events))
        e[2] = rev
        n += rev != 0
    return n, waits


async def _do_poll(t: Task, addr: int, nfds: int, deadline: float | None) -> int:
    if nfds > t.fds.limit:
        raise EINVAL()
    raw = t.mem.read(addr, nfds * _POLLFD.size) if nfds else b""
    fds = [list(e) for e in _POLLFD.iter_unpack(raw)]
    n = await _until_ready(t, lambda: _poll_scan(t, fds), deadline)
    if nfds:
        t.mem.write(addr, b"".join(_POLLFD.pack(*e) for e in fds))
    return n


async def sys_poll(t: Task, a: Args) -> int:
    """Implements poll(2). Differences: see the module's note on signals."""
    addr, nfds, timeout = a.ptr(0), a.uint(1), a.int(2)
    deadline = None if timeout < 0 else _deadline(timeout // 1000, timeout % 1000 * 1_000_000)
    return await _do_poll(t, addr, nfds, deadline)


async def sys_ppoll(t: Task, a: Args) -> int:
    """Implements ppoll(2)."""
    addr, nfds, tsp, mask, size = a.ptr(0), a.uint(1), a.ptr(2), a.ptr(3), a.size(4)
    start = clock()
    deadline = _read_timespec(t, tsp)
    sigmask = _check_sigmask(t, mask, size)
    n = await with_sigmask(t, sigmask, _do_poll(t, addr, nfds, deadline))
    _write_left(t, tsp, deadline, start, usec=False)
    return n


# --- select -------------------------------------------------------------------------
def _max_fds(t: Task) -> int:
    """Linux clamps select's nfds to the fd table's size: 64 slots, grown in powers of 2."""
    top = max((fd for fd, _ in t.fds.items()), default=0)
    size = 64
    while size <= top:
        size <<= 1
    return size


def _read_set(t: Task, addr: int, n: int) -> int:
    if not addr or not n:
        return 0
    nbytes = (n + 63) // 64 * 8
    return int.from_bytes(t.mem.read(addr, nbytes), "little") & ((1 << n) - 1)


def _select_scan(t: Task, sets: list[int], out: list[int]) -> tuple[int, list[tuple[Any, int]]]:
    """Sets out[0..2] to the ready bits; returns (bits set, wait sources). EBADF as Linux."""
    rin, rout, rex = sets
    res = [0, 0, 0]
    n, waits = 0, []
    want = rin | rout | rex
    fd = 0
    while want >> fd:
        bit = 1 << fd
        if want & bit:
            f = t.fds.get(fd) if fd in t.fds else None
            if f is None or f.is_path:
                raise EBADF()
            mask = f.poll_events()
            hit = 0
            for i, (req, ready_set) in enumerate(
                    ((rin, POLLIN_SET), (rout, POLLOUT_SET), (rex, POLLEX_SET))):
                if req & bit and mask & ready_set:
                    res[i] |= bit
                    hit += 1
            n += hit
            src = f.wait_source() if not hit else None
            if f.__class__ is EpollFile and not hit:
                waits.extend(f.waits())  # its queue, and host edges of its entries
            elif src is not None:
                events = ((POLLIN_SET if rin & bit else 0) | (POLLOUT_SET if rout & bit else 0)
                          | (POLLEX_SET if rex & bit else 0))
                waits.append((src, events))
        fd += 1
    out[:] = res
    return n, waits


async def _do_select(t: Task, n: int, ptrs: tuple[int, int, int],
                     deadline: float | None) -> int:
    if n < 0:
        raise EINVAL()
    n = min(n, _max_fds(t))
    sets = [_read_set(t, p, n) for p in ptrs]
    res = [0, 0, 0]
    count = await _until_ready(t, lambda: _select_scan(t, sets, res), deadline)
    if count == INTERRUPTED:
        return count  # the sets are left as they were, as Linux's core_sys_select
    nbytes = (n + 63) // 64 * 8
    for p, bits in zip(ptrs, res, strict=True):
        if p and nbytes:
            t.mem.write(p, bits.to_bytes(nbytes, "little"))
    return count


async def sys_select(t: Task, a: Args) -> int:
    """Implements select(2). Differences: see the module's note on signals."""
    n, tvp = a.int(0), a.ptr(4)
    start = clock()
    deadline = _read_timeval(t, tvp)
    count = await _do_select(t, n, (a.ptr(1), a.ptr(2), a.ptr(3)), deadline)
    _write_left(t, tvp, deadline, start, usec=True)
    return count


async def sys_pselect6(t: Task, a: Args) -> int:
    """Implements pselect6(2)."""
    n, tsp, sig = a.int(0), a.ptr(4), a.ptr(5)
    start = clock()
    deadline = _read_timespec(t, tsp)
    sigmask = None
    if sig:
        mask, size = _TS.unpack(t.mem.read(sig, _TS.size))
        sigmask = _check_sigmask(t, mask, size)
    count = await with_sigmask(t, sigmask, _do_select(t, n, (a.ptr(1), a.ptr(2), a.ptr(3)),
                                                      deadline))
    _write_left(t, tsp, deadline, start, usec=False)
    return count


__all__ = ["sys_poll", "sys_ppoll", "sys_select", "sys_pselect6"]
