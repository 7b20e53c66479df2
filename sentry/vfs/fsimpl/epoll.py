"""epoll: an interest list over other open files, with Linux's ready list (fs/eventpoll.c).

Each interest entry hooks the watched file's WaitQueue (kernel/waiter.py): a notify whose
events meet the entry's puts it on the ready list, FIFO, and wakes the epoll's own queue
(tasks in epoll_wait, and poll/select or an outer epoll set watching this one). epoll_wait
takes entries off the front, reports those whose file's poll_events() meets their events,
and puts the level-triggered ones back at the tail; an edge-triggered one waits for the
next notify, an EPOLLONESHOT one is disabled until EPOLL_CTL_MOD. ADD and MOD queue the
entry if the file is ready then. A registration ends when its description is released
(Linux drops it at the last close of the file, not of the fd).

An epoll file inside another epoll set is readable while a ready entry is really ready.
EPOLL_CTL_ADD of an epoll file gives ELOOP if the new link closes a cycle or makes a
chain of more than EP_MAX_NESTS links (counted up from the set and down from the target,
as Linux 6.x's ep_loop_check). EPOLLEXCLUSIVE entries wake one epoll set with a task
waiting on it (and all sets without one), the others see the event only when it meets
them again.

A signalfd's readiness may change with no notify (a signal the host delivers itself, as
a kill of the caller's own process): the set looks at such files (edge_state()) at every
wait; an edge-triggered entry sees an edge where a signal was added.

Files whose wait source is a host fd (host stdio streams, hostinet sockets) have no
WaitQueue: the set registers them edge-triggered in a host epoll instance of its own
(host/edges.py), whose edges wake their entries at each epoll_wait, and whose fd a
blocked epoll_wait (or poll/select on the epoll fd, or an outer set) parks on.

Differences: Linux's limits on the number of wake-up paths (reverse_path_check's EINVAL)
are not applied; EPOLLWAKEUP is ignored.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sentry.abi.errno import EEXIST, EINVAL, ELOOP, ENOENT, EPERM
from sentry.abi.stat import kernel_dev
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, WaitQueue
from sentry.vfs.constants import O_RDWR
from sentry.vfs.file import DirectoryFile, FileDescription, SeekableFile
from sentry.vfs.fsimpl.eventfd import AnonFile
from sentry.vfs.fsimpl.host.edges import HostEdges

EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET = 1 << 28, 1 << 29, 1 << 30, 1 << 31
_PRIVATE = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET
# The only bits an EPOLLEXCLUSIVE entry may ask for (Linux's EPOLLEXCLUSIVE_OK_BITS).
_EXCLUSIVE_OK = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
EP_MAX_NESTS = 4  # links in a chain of epoll sets
_READABLE = POLLIN | POLLRDNORM


def epoll_ctl(ep: FileDescription, op: int, fd: int, target: FileDescription, events: int,
              data: int) -> None:
    """epoll_ctl(2) on open files, in Linux's order of checks: EPERM (a target that cannot
    be polled), EINVAL (ep not an epoll file, or the target itself, or a bad use of
    EPOLLEXCLUSIVE), ELOOP (nesting), then EEXIST / ENOENT / EINVAL (the op)."""
    if isinstance(target, (SeekableFile, DirectoryFile)) or not target.can_poll:
        raise EPERM()  # regular files and directories are always ready: Linux refuses
    if target is ep or not isinstance(ep, EpollFile):
        raise EINVAL()
    if op != EPOLL_CTL_DEL and events & EPOLLEXCLUSIVE and (
            op == EPOLL_CTL_MOD or isinstance(target, EpollFile) or events & ~_EXCLUSIVE_OK):
        raise EINVAL()
    if op == EPOLL_CTL_ADD and isinstance(target, EpollFile):
        ep.check_nesting(target)
    ep.ctl(op, fd, target, events, data)


class _Entry:
    """One (fd, file) registration; `mask` is 0 while an EPOLLONESHOT entry is disabled."""

    __slots__ = ("ep", "fd", "file", "events", "mask", "data", "et", "oneshot", "exclusive",
                 "linked", "removed", "queue", "host_fd", "state")

    def __init__(self, ep: EpollFile, fd: int, file: FileDescription) -> None:
        self.ep = ep
        self.fd = fd
        self.file = file
        self.events = self.mask = self.data = 0
        self.et = self.oneshot = self.exclusive = False
        self.linked = False  # on ep.ready
        self.removed = False
        self.queue: WaitQueue | None = None
        self.host_fd: int | None = None
        self.state = 0  # a scanned file's edge_state() at the last look

    def set(self, events: int, data: int) -> None:
        self.events = events | POLLERR | POLLHUP  # as registered (fdinfo shows it)
        self.mask = self.events & ~_PRIVATE
        self.data = data
        self.et = bool(events & EPOLLET)
        self.oneshot = bool(events & EPOLLONESHOT)
        self.exclusive = bool(events & EPOLLEXCLUSIVE)

    def wake(self, events: int) -> bool:
        """The hook on the file's queue (Linux's ep_poll_callback): queue it, wake the set.

        Returns whether an exclusive entry woke a task (its queue stops there)."""
        mask = self.mask
        if not mask or events and not events & mask:
            return False
        ep = self.ep
        if not self.linked:
            self.linked = True
            ep.ready.append(self)
        woke = False
        if self.exclusive and ep.queue.has_tasks():
            inout = events & (POLLIN | POLLOUT)
            woke = inout == 0 or inout != POLLIN | POLLOUT and bool(mask & inout)
        ep.queue.notify(_READABLE)
        return woke or not self.exclusive

    def drop(self) -> None:
        """Ends the registration (EPOLL_CTL_DEL, the file's release, the set's release)."""
        if self.removed:
            return
        self.removed = True
        self.mask = 0
        key = id(self)
        if self.queue is not None:
            self.queue.unhook(key)
        links = self.file.epoll_links
        if links is not None:
            links.pop(key, None)
        ep = self.ep
        ep.entries.pop((self.fd, id(self.file)), None)
        ep.nested.pop(self, None)
        ep.scanned.pop(self, None)
        if self.host_fd is not None:
            ep.unwatch_host(self)


class EpollFile(AnonFile):
    """An epoll instance (anon_inode:[eventpoll])."""

    kind = b"eventpoll"

    def __init__(self) -> None:
        super().__init__(O_RDWR)
        self.entries: dict[tuple[int, int], _Entry] = {}
        self.ready: deque[_Entry] = deque()
        self.queue = WaitQueue()
        self.nested: dict[_Entry, None] = {}  # entries on epoll files
        self.scanned: dict[_Entry, None] = {}  # entries on files with edge_state()
        # Entries on host-backed files, by host fd, and the host's edges of those fds.
        self.by_host: dict[int, dict[_Entry, None]] = {}
        self.edges: HostEdges | None = None

    # --- epoll_ctl ----------------------------------------------------------------------
    def ctl(self, op: int, fd: int, target: FileDescription, events: int, data: int) -> None:
        """EPOLL_CTL_ADD/MOD/DEL once epoll_ctl's checks passed (EEXIST, ENOENT, EINVAL)."""
        entry = self.entries.get((fd, id(target)))
        if op == EPOLL_CTL_ADD:
            if entry is not None:
                raise EEXIST()
            self._insert(fd, target, events, data)
        elif op == EPOLL_CTL_MOD:
            if entry is None:
                raise ENOENT()
            if entry.exclusive:
                raise EINVAL()
            entry.set(events, data)
            self._queue_if_ready(entry)
        elif op == EPOLL_CTL_DEL:
            if entry is None:
                raise ENOENT()
            entry.drop()
        else:
            raise EINVAL()

    def _insert(self, fd: int, target: FileDescription, events: int, data: int) -> None:
        e = _Entry(self, fd, target)
        e.set(events, data)
        src = target.wait_source()
        if isinstance(src, WaitQueue):
            e.queue = src
            src.hook(id(e), e.wake, e.exclusive)
        elif src is not None:
            if self.edges is None:
                self.edges = HostEdges()
            self.edges.add(int(src))  # EPERM for a host file that cannot be polled
            e.host_fd = int(src)
            self.by_host.setdefault(e.host_fd, {})[e] = None
        self.entries[(fd, id(target))] = e
        if target.epoll_links is None:
            target.epoll_links = {}
        target.epoll_links[id(e)] = e
        if isinstance(target, EpollFile):
            self.nested[e] = None
        edge_state = getattr(target, "edge_state", None)
        if edge_state is not None:
            e.state = edge_state()
            self.scanned[e] = None
        self._queue_if_ready(e)

    def _queue_if_ready(self, e: _Entry) -> None:
        """ADD and MOD: a file ready now is queued at once, and the set's watchers woken."""
        if e.file.poll_events() & e.mask and not e.linked:
            e.linked = True
            self.ready.append(e)
            self.queue.notify(_READABLE)

    # --- nesting --------------------------------------------------------------------------
    def check_nesting(self, target: EpollFile) -> None:
        """ELOOP if linking target under self closes a cycle or chains too many sets."""
        down = target._depth_below(self, {})
        if down + 1 + self._depth_above({}) > EP_MAX_NESTS:
            raise ELOOP()

    def _depth_below(self, forbidden: EpollFile, seen: dict[int, int]) -> int:
        """The longest chain of links down from self; ELOOP if it reaches `forbidden`."""
        depth = 0
        for e in self.nested:
            inner = e.file
            if inner is forbidden:
                raise ELOOP()
            d = seen.get(id(inner))
            if d is None:
                d = seen[id(inner)] = inner._depth_below(forbidden, seen)  # type: ignore[attr-defined]
            depth = max(depth, d + 1)
            if depth > EP_MAX_NESTS:
                raise ELOOP()
        return depth

    def _depth_above(self, seen: dict[int, int]) -> int:
        """The longest chain of links up from self (the sets that contain it)."""
        depth = 0
        for e in (self.epoll_links or {}).values():
            outer = e.ep
            d = seen.get(id(outer))
            if d is None:
                d = seen[id(outer)] = outer._depth_above(seen)
            depth = max(depth, d + 1)
        return depth

    # --- host-backed files ------------------------------------------------------------
    def unwatch_host(self, e: _Entry) -> None:
        fd = e.host_fd
        assert fd is not None and self.edges is not None
        self.edges.remove(fd)
        entries = self.by_host.get(fd)
        if entries is not None:
            entries.pop(e, None)
            if not entries:
                del self.by_host[fd]

    def _has_host(self) -> bool:
        """Whether some entry here or below is on a host fd (its events come from the
        host's edges, not from a WaitQueue)."""
        return bool(self.by_host) or any(e.file._has_host() for e in self.nested)  # type: ignore[attr-defined]

    def _pump(self) -> None:
        """Turns the host's edges into wake-ups of their entries, and looks at the files
        whose readiness may change unnotified (edge_state: signalfd), here and below."""
        for e in list(self.nested):
            e.file._pump()  # type: ignore[attr-defined]
        if self.edges is not None:
            for fd, events in self.edges.take():
                for e in list(self.by_host.get(fd, ())):
                    e.wake(events)
        for e in list(self.scanned):
            if not e.mask:
                continue
            if e.et:  # an edge where the state gained something since the last look
                state = e.file.edge_state()  # type: ignore[attr-defined]
                new, e.state = state & ~e.state, state
                if new:
                    e.wake(0)
            elif not e.linked:  # level-triggered: looked at every time, no event
                e.linked = True
                self.ready.append(e)

    # --- epoll_wait ---------------------------------------------------------------------
    def collect(self, maxevents: int) -> list[tuple[int, int]]:
        """Takes up to maxevents (events, data) pairs off the ready list (ep_send_events)."""
        if self.edges is not None or self.nested or self.scanned:
            self._pump()
        ready = self.ready
        out: list[tuple[int, int]] = []
        again: list[_Entry] = []
        while ready and len(out) < maxevents:
            e = ready.popleft()
            e.linked = False
            rev = e.file.poll_events() & e.mask if e.mask else 0
            if not rev:
                continue  # queued by a notify that did not leave it ready (or dropped)
            out.append((rev, e.data))
            if e.oneshot:
                e.mask = 0
            elif not e.et:
                again.append(e)
        for e in again:  # level-triggered: back at the tail, reported again next time
            if not e.linked:
                e.linked = True
                ready.append(e)
        return out

    def waits(self) -> list[tuple[Any, int]]:
        """What a blocked epoll_wait parks on: the set's queue and the host fds below."""
        waits: list[tuple[Any, int]] = [(self.queue, POLLIN)]
        if self.by_host and self.edges is not None:
            waits.append((self.edges.fileno(), POLLIN))
        for e in self.nested:
            if e.mask and e.file._has_host():  # type: ignore[attr-defined]
                waits.extend(e.file.waits()[1:])  # type: ignore[attr-defined]
        return waits

    # --- the epoll file itself ----------------------------------------------------------
    def show_fdinfo(self) -> bytes:
        """/proc/<pid>/fdinfo's lines (fs/eventpoll.c ep_show_fdinfo), one per registration
        (in fd order here; Linux's follows its tree, keyed by file address): the events as
        registered (EPOLLERR|EPOLLHUP added; after an EPOLLONESHOT fired, only the private
        flags are left), the data, and the target's offset, inode and device."""
        out = []
        for (fd, _), e in sorted(self.entries.items(), key=lambda kv: kv[0][0]):
            st = e.file.stat()
            events = e.events if e.mask else e.events & _PRIVATE
            out.append(b"tfd: %8d events: %8x data: %16x  pos:%d ino:%x sdev:%x\n" % (
                fd, events, e.data & (1 << 64) - 1, e.file.offset, st.ino,
                kernel_dev(st.dev)))
        return b"".join(out)

    def poll_events(self) -> int:
        """POLLIN while an entry on the ready list is really ready (ep_eventpoll_poll);
        the front entries found not ready leave the list."""
        if self.edges is not None or self.nested or self.scanned:
            self._pump()
        ready = self.ready
        while ready:
            e = ready[0]
            if e.mask and e.file.poll_events() & e.mask:
                return _READABLE
            ready.popleft()
            e.linked = False
        return 0

    def wait_source(self) -> WaitQueue:
        return self.queue

    def release(self) -> None:
        for e in list(self.entries.values()):
            e.drop()
        self.ready.clear()
        if self.edges is not None:
            self.edges.close()
            self.edges = None
