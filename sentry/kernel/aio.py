"""Linux native AIO contexts (fs/aio.c): io_setup's ring and its completions.

A context belongs to an address space (ThreadGroup.mm: its threads share it, fork and
exec leave it behind). Its ring lives in the task's memory, where Linux puts it and where
libaio reads completions without a syscall: a header {id, nr, head, tail, magic,
compat_features, incompat_features, header_length} and `nr` struct io_event slots. The
Sentry completes a request by writing its event at `tail` and moving `tail`; io_getevents
(and the program itself) takes events from `head`. The ring is an anonymous mapping the
Sentry makes in the task (MADV_DONTFORK, as Linux's VM_DONTCOPY).

Sizes as Linux's ioctx_alloc and aio_setup_ring: the asked number of events is raised to
4 per possible CPU, doubled, and the ring rounded up to whole pages, whose slots all count.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EINVAL, SysError
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, WaitQueue

if TYPE_CHECKING:
    from sentry.kernel.memory import Memory

AIO_RING_MAGIC = 0xA10A10A1
HEADER = struct.Struct("<8I")  # struct aio_ring's header (32 bytes)
EVENT = struct.Struct("<QQqq")  # struct io_event: data, obj, res, res2
AIO_MAX_NR = 65536  # fs.aio-max-nr
PAGE = 4096


class AioContext:
    """One io_setup context: its ring in the task's memory and its requests in flight."""

    def __init__(self, ctx_id: int, index: int, nr: int, max_reqs: int, tg: Any,
                 possible_cpus: int) -> None:
        self.id = ctx_id  # the ring's address: what io_setup returns
        self.index = index  # the ring header's id (Linux's slot in the mm's table)
        self.nr = nr
        self.max_reqs = max_reqs
        batch = max((nr - 1) // (possible_cpus * 4), 1)  # req_batch
        self.usable = (nr - 1) // batch * batch
        self.size = ring_pages(nr) * PAGE
        self.tg = tg  # the owning process: its ring is in its memory
        self.queue = WaitQueue()  # io_getevents waiters
        self.pending: dict[int, Any] = {}  # iocb address -> an asynchronous request (POLL)
        self.dead = False

    @property
    def mem(self) -> Memory:
        return self.tg.tasks[0].mem

    def init_ring(self) -> None:
        self.mem.write(self.id, HEADER.pack(self.index, self.nr, 0, 0, AIO_RING_MAGIC, 1, 0,
                                            HEADER.size))

    def head_tail(self) -> tuple[int, int]:
        """The ring's head and tail as the task's memory has them (it may reap itself);
        values out of range read as an empty ring, as Linux's aio_read_events_ring does."""
        try:
            head, tail = struct.unpack("<II", self.mem.read(self.id + 8, 8))
        except SysError:
            self.lost()
            raise EINVAL() from None
        return head % self.nr, tail % self.nr

    def unreaped(self) -> int:
        head, tail = self.head_tail()
        return (tail - head) % self.nr

    def room(self) -> int:
        """Requests that may still be submitted: a slot each, one slot kept free, taken in
        Linux's per-CPU batches (as a task on one CPU sees them: the slots a whole batch
        does not fill stay unused)."""
        return self.usable - self.unreaped() - len(self.pending)

    def complete(self, data: int, obj: int, res: int, res2: int = 0) -> None:
        """aio_complete: the event goes in at the tail; waiters are woken."""
        if self.dead or not self.tg.tasks:
            return
        try:
            _, tail = struct.unpack("<II", self.mem.read(self.id + 8, 8))
            tail %= self.nr
            self.mem.write(self.id + HEADER.size + tail * EVENT.size,
                           EVENT.pack(data, obj, res, res2))
            self.mem.write(self.id + 12, struct.pack("<I", (tail + 1) % self.nr))
        except SysError:
            self.lost()
            return
        self.queue.notify(POLLIN)

    def lost(self) -> None:
        """The program unmapped (or protected) its ring: the context dies, as Linux kills
        one whose ring is unmapped."""
        self.kill()
        self.tg.mm.aio.pop(self.id, None)

    def peek(self, n: int) -> tuple[bytes, int]:
        """Up to n events from the head, and the head past them (aio_read_events_ring: the
        head moves, by `commit`, only once the events reached the caller)."""
        head, tail = self.head_tail()
        avail = min((tail - head) % self.nr, n)
        out = bytearray()
        while avail:
            chunk = min(avail, self.nr - head)
            at = self.id + HEADER.size + head * EVENT.size
            try:
                out += self.mem.read(at, chunk * EVENT.size)
            except SysError:
                self.lost()
                raise EINVAL() from None
            head = (head + chunk) % self.nr
            avail -= chunk
        return bytes(out), head

    def commit(self, head: int) -> None:
        try:
            self.mem.write(self.id + 8, struct.pack("<I", head))
        except SysError:
            self.lost()


    def kill(self) -> None:
        """io_destroy, or the address space gone: pending polls end, waiters wake."""
        self.dead = True
        for req in list(self.pending.values()):
            req.cancel()
        self.pending.clear()
        self.queue.notify(POLLIN)


class PollRequest:
    """An IOCB_CMD_POLL waiting for its file: completed by the first notify of the file's
    queue that finds it ready, with what it then polls (aio_poll_wake)."""

    def __init__(self, ctx: AioContext, f: Any, queue: WaitQueue, events: int, obj: int,
                 complete: Callable[[int], None]) -> None:
        self.ctx, self.file, self.queue, self.events = ctx, f, queue, events
        self.obj, self.complete = obj, complete
        ctx.pending[obj] = self
        queue.hook(id(self), self._wake)

    def _wake(self, _events: int) -> bool:
        ready = self.file.poll_events()
        if ready & (self.events | POLLERR | POLLHUP):
            self.finish(ready)
        return False

    def finish(self, res: int) -> None:
        """Done (ready, or io_cancel's result 0): its event goes to the ring."""
        self.cancel()
        self.complete(res)

    def cancel(self) -> None:
        """Dropped without an event (io_destroy)."""
        self.queue.unhook(id(self))
        self.ctx.pending.pop(self.obj, None)


def ring_pages(nr: int) -> int:
    return (HEADER.size + nr * EVENT.size + PAGE - 1) // PAGE


def ring_slots(nr_events: int, possible_cpus: int) -> int | None:
    """The ring's event count for io_setup(nr_events); None if it would overflow."""
    n = max(nr_events, possible_cpus * 4) * 2
    if n > 0x10000000 // EVENT.size:
        return None
    return (ring_pages(n) * PAGE - HEADER.size) // EVENT.size
