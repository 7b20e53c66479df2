"""epoll's ready list (sentry/vfs/fsimpl/epoll.py) on fake files: level- and
edge-triggered entries, EPOLLONESHOT, EPOLLEXCLUSIVE's wake-one, nested sets and their
ELOOP/EINVAL checks, the end of a registration at the file's release, host-fd files."""

from __future__ import annotations

import os
import select
from typing import Any

import pytest

from sentry.abi.errno import EEXIST, EINVAL, ELOOP, ENOENT, EPERM
from sentry.kernel.waiter import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, WaitQueue
from sentry.vfs.constants import O_RDONLY, O_RDWR, O_WRONLY
from sentry.vfs.file import FileDescription, SeekableFile
from sentry.vfs.fsimpl.epoll import (
    EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLEXCLUSIVE, EPOLLONESHOT,
    EpollFile, epoll_ctl,
)
from sentry.vfs.fsimpl.pipe import Pipe, PipeFile

IN_OUT = POLLIN | POLLOUT


class Fake(FileDescription):
    """A stream whose readiness the test sets; `fire` notifies as a real file would."""

    def __init__(self, host_fd: int | None = None) -> None:
        super().__init__(O_RDWR)
        self.mask = 0
        self.queue = WaitQueue()
        self.host_fd = host_fd
        self.incref()

    def poll_events(self) -> int:
        return self.mask

    def wait_source(self) -> Any:
        return self.queue if self.host_fd is None else self.host_fd

    def fire(self, mask: int, events: int | None = None) -> None:
        self.mask = mask
        self.queue.notify(mask if events is None else events)


def new_ep() -> EpollFile:
    ep = EpollFile()
    ep.incref()
    return ep


def add(ep: EpollFile, f: FileDescription, events: int, data: int, fd: int = 3) -> None:
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, f, events, data)


def test_level_triggered_reports_while_ready() -> None:
    ep, f = new_ep(), Fake()
    add(ep, f, POLLIN, 7)
    assert ep.collect(8) == []
    f.fire(POLLIN)
    assert ep.collect(8) == [(POLLIN, 7)]
    assert ep.collect(8) == [(POLLIN, 7)]  # still ready: back on the list
    f.mask = 0
    assert ep.collect(8) == []  # not ready: off the list, until the next notify
    f.mask = POLLIN  # ready again without a notify: Linux does not see it either
    assert ep.collect(8) == []


def test_edge_triggered_reports_once_per_notify() -> None:
    ep, f = new_ep(), Fake()
    add(ep, f, POLLIN | EPOLLET, 1)
    f.fire(POLLIN)
    assert ep.collect(8) == [(POLLIN, 1)]
    assert ep.collect(8) == []  # still readable, no new event
    f.fire(POLLIN)  # a second write
    f.fire(POLLIN)  # and a third: one report
    assert ep.collect(8) == [(POLLIN, 1)]
    assert ep.collect(8) == []
    f.fire(POLLIN, POLLOUT)  # an event it does not ask for is no edge
    assert ep.collect(8) == []
    f.fire(POLLIN, POLLHUP)  # a hang-up always is
    assert ep.collect(8) == [(POLLIN, 1)]


def test_add_and_mod_queue_a_ready_file() -> None:
    ep, f = new_ep(), Fake()
    f.mask = POLLIN | POLLOUT
    add(ep, f, POLLIN | EPOLLET, 2)
    assert ep.collect(8) == [(POLLIN, 2)]
    assert ep.collect(8) == []
    epoll_ctl(ep, EPOLL_CTL_MOD, 3, f, POLLOUT | EPOLLET, 5)
    epoll_ctl(ep, EPOLL_CTL_MOD, 3, f, IN_OUT | EPOLLET, 6)  # queued once
    assert ep.collect(8) == [(IN_OUT, 6)]
    assert ep.collect(8) == []


def test_oneshot_disables_until_mod() -> None:
    ep, f = new_ep(), Fake()
    add(ep, f, POLLIN | EPOLLONESHOT, 3)
    f.fire(POLLIN)
    assert ep.collect(8) == [(POLLIN, 3)]
    f.fire(POLLIN)
    assert ep.collect(8) == []  # disabled: notifies are ignored
    epoll_ctl(ep, EPOLL_CTL_MOD, 3, f, POLLIN | EPOLLONESHOT | EPOLLET, 4)
    assert ep.collect(8) == [(POLLIN, 4)]
    f.fire(POLLIN)
    assert ep.collect(8) == []


def test_fifo_order_and_maxevents() -> None:
    ep = new_ep()
    files = [Fake() for _ in range(3)]
    for i, f in enumerate(files):
        add(ep, f, POLLIN, i, fd=10 + i)
    for i in (2, 0, 1):
        files[i].fire(POLLIN)
    assert ep.collect(2) == [(POLLIN, 2), (POLLIN, 0)]
    # the one left waits at the front, the reported level-triggered ones follow
    assert ep.collect(8) == [(POLLIN, 1), (POLLIN, 2), (POLLIN, 0)]


def test_notify_runs_the_newest_hook_first() -> None:
    ep, f = new_ep(), Fake()
    add(ep, f, POLLIN | EPOLLET, 1, fd=3)
    add(ep, f, POLLIN | EPOLLET, 2, fd=4)  # the same file under a second fd
    f.fire(POLLIN)
    assert ep.collect(8) == [(POLLIN, 2), (POLLIN, 1)]


def test_ctl_errors() -> None:
    ep, f = new_ep(), Fake()
    with pytest.raises(EINVAL):
        add(ep, ep, POLLIN, 0)
    with pytest.raises(EINVAL):
        add(f, Fake(), POLLIN, 0)  # not an epoll file
    with pytest.raises(EPERM):
        add(ep, SeekableFile(O_RDWR), POLLIN, 0)
    add(ep, f, POLLIN, 0)
    with pytest.raises(EEXIST):
        add(ep, f, POLLIN, 0)
    with pytest.raises(ENOENT):
        epoll_ctl(ep, EPOLL_CTL_MOD, 4, f, POLLIN, 0)  # another fd: another entry
    with pytest.raises(EINVAL):
        epoll_ctl(ep, 7, 3, f, POLLIN, 0)
    epoll_ctl(ep, EPOLL_CTL_DEL, 3, f, 0, 0)
    with pytest.raises(ENOENT):
        epoll_ctl(ep, EPOLL_CTL_DEL, 3, f, 0, 0)
    assert not f.queue.has_waiters()  # DEL took the hook off


def test_exclusive_errors() -> None:
    ep, f, inner = new_ep(), Fake(), new_ep()
    for events, target in ((POLLIN | EPOLLEXCLUSIVE, inner),
                           (POLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, f),
                           (POLLIN | POLLRDNORM | EPOLLEXCLUSIVE, f)):
        with pytest.raises(EINVAL):
            add(ep, target, events, 0)
    add(ep, f, POLLIN | EPOLLEXCLUSIVE | EPOLLET, 0)
    with pytest.raises(EINVAL):
        epoll_ctl(ep, EPOLL_CTL_MOD, 3, f, POLLIN, 0)
    with pytest.raises(EINVAL):
        epoll_ctl(ep, EPOLL_CTL_MOD, 3, f, POLLIN | EPOLLEXCLUSIVE, 0)


def test_exclusive_wakes_one_set_with_a_waiter() -> None:
    f = Fake()
    first, second, plain = new_ep(), new_ep(), new_ep()
    add(first, f, POLLIN | EPOLLEXCLUSIVE, 1)
    add(second, f, POLLIN | EPOLLEXCLUSIVE, 2)
    add(plain, f, POLLIN, 3)
    woken: list[int] = []
    first.queue.add(100, POLLIN, lambda _ev: woken.append(1))
    second.queue.add(200, POLLIN, lambda _ev: woken.append(2))
    f.fire(POLLIN)
    assert woken == [1]  # the first exclusive set with a task stops the wake-up
    assert second.collect(8) == []
    assert plain.collect(8) == [(POLLIN, 3)]  # non-exclusive entries always see it
    assert first.collect(8) == [(POLLIN, 1)]
    f.fire(POLLIN)  # nobody waits now: every exclusive set gets it
    assert second.collect(8) == [(POLLIN, 2)]


def test_nested_set_readiness_and_edges() -> None:
    inner, outer, f = new_ep(), new_ep(), Fake()
    add(inner, f, POLLIN, 1)
    add(outer, inner, POLLIN | EPOLLET, 2)
    assert inner.poll_events() == 0
    f.fire(POLLIN)
    assert inner.poll_events() == POLLIN | POLLRDNORM
    assert outer.collect(8) == [(POLLIN, 2)]
    assert outer.collect(8) == []
    f.fire(POLLIN)  # every event queued in the inner set is an edge for the outer
    assert outer.collect(8) == [(POLLIN, 2)]
    f.mask = 0
    assert inner.poll_events() == 0  # the stale entry left the inner list
    assert inner.collect(8) == []


def test_nesting_loops_and_depth() -> None:
    e = [new_ep() for _ in range(7)]
    add(e[0], e[1], POLLIN, 0)
    with pytest.raises(ELOOP):
        add(e[1], e[0], POLLIN, 0)
    for i in range(1, 4):
        add(e[i], e[i + 1], POLLIN, 0)  # e0 <- e1 <- e2 <- e3 <- e4: 4 links
    with pytest.raises(ELOOP):
        add(e[4], e[5], POLLIN, 0)  # a fifth, at the bottom
    with pytest.raises(ELOOP):
        add(e[5], e[0], POLLIN, 0)  # or at the top
    with pytest.raises(ELOOP):
        add(e[4], e[0], POLLIN, 0)  # a loop
    add(e[6], e[2], POLLIN, 0)  # a second parent: 3 links through it


def test_release_ends_registrations() -> None:
    ep, f, g = new_ep(), Fake(), Fake()
    add(ep, f, POLLIN, 1)
    add(ep, g, POLLIN, 2, fd=4)
    f.fire(POLLIN)
    f.decref()  # the last close of the file
    assert not f.queue.has_waiters()
    assert ep.collect(8) == []
    assert list(ep.entries) == [(4, id(g))]
    ep.decref()  # the set's own release takes its hooks off the files
    assert not g.queue.has_waiters() and not g.epoll_links


class HostPipeEnd(FileDescription):
    """The read end of a real host pipe, as host-backed files are: no WaitQueue."""

    def __init__(self, fd: int) -> None:
        super().__init__(O_RDONLY)
        self.fd = fd
        self.incref()

    def poll_events(self) -> int:
        p = select.poll()
        p.register(self.fd, POLLIN)
        got = p.poll(0)
        return got[0][1] if got else 0

    def wait_source(self) -> int:
        return self.fd


def test_host_fd_files_get_the_hosts_edges() -> None:
    r, w = os.pipe()
    try:
        ep, h = new_ep(), HostPipeEnd(r)
        add(ep, h, POLLIN | EPOLLET, 9)
        assert ep.collect(8) == []
        assert ep.edges is not None and (ep.edges.fileno(), POLLIN) in ep.waits()
        os.write(w, b"a")
        assert ep.collect(8) == [(POLLIN, 9)]
        assert ep.collect(8) == []  # unread, but no new edge
        os.write(w, b"b")
        assert ep.collect(8) == [(POLLIN, 9)]
        outer = new_ep()
        add(outer, ep, POLLIN | EPOLLET, 1, fd=5)
        assert outer.collect(8) == []
        assert (ep.edges.fileno(), POLLIN) in outer.waits()
        os.write(w, b"c")
        assert outer.poll_events() == POLLIN | POLLRDNORM  # the edge reached the outer set
        assert outer.collect(8) == [(POLLIN, 1)]
        h.decref()
        assert not ep.by_host and ep.collect(8) == []
        ep.decref()
        assert ep.edges is None
    finally:
        os.close(r)
        os.close(w)


def test_host_files_that_cannot_be_polled_are_eperm(tmp_path: Any) -> None:
    fd = os.open(tmp_path / "f", os.O_CREAT | os.O_RDWR)
    try:
        ep = new_ep()
        with pytest.raises(EPERM):
            add(ep, HostPipeEnd(fd), POLLIN, 0)
        assert not ep.entries
    finally:
        os.close(fd)


def test_pipe_edges_follow_linux() -> None:
    """Every write is an edge for readers; a read is one for writers only when it frees a
    page of a full pipe (Linux's pipe_read wakes writers then only)."""
    p = Pipe()
    r, w = PipeFile(p, O_RDONLY), PipeFile(p, O_WRONLY)
    r.incref()
    w.incref()
    rep, wep = new_ep(), new_ep()
    add(rep, r, POLLIN | EPOLLET, 1)
    add(wep, w, POLLOUT | EPOLLET, 2)
    assert wep.collect(8) == [(POLLOUT, 2)]  # writable when added
    w.write(b"a")
    w.write(b"b")
    assert rep.collect(8) == [(POLLIN, 1)]
    w.write(b"c")
    assert rep.collect(8) == [(POLLIN, 1)]  # a write while unread data waits: an edge
    r.read(1)
    assert wep.collect(8) == []  # not full before: no edge for the writer
    while len(p.pages) < p.slots:
        w.write(b"x" * 4096)
    r.read(1)
    assert wep.collect(8) == []  # full, but no page freed
    r.read(4096)
    assert wep.collect(8) == [(POLLOUT, 2)]


class Scanned(Fake):
    """A file whose readiness changes unnotified (as signalfd's): epoll looks at it."""

    def __init__(self) -> None:
        super().__init__()
        self.bits = 0

    def poll_events(self) -> int:
        return POLLIN if self.bits else 0

    def edge_state(self) -> int:
        return self.bits


def test_unnotified_files_are_looked_at_every_wait() -> None:
    f = Scanned()
    et, lt = new_ep(), new_ep()
    add(et, f, POLLIN | EPOLLET, 1)
    add(lt, f, POLLIN, 2)
    f.bits = 0b01  # a signal arrives, nobody notifies
    assert et.collect(8) == [(POLLIN, 1)]
    assert lt.collect(8) == [(POLLIN, 2)]
    assert et.collect(8) == []
    assert lt.collect(8) == [(POLLIN, 2)]
    f.bits = 0b11  # another one: an edge
    assert et.collect(8) == [(POLLIN, 1)]
    f.fire(POLLIN)  # a notify is an edge too
    assert et.collect(8) == [(POLLIN, 1)]
    assert et.collect(8) == []
    f.bits = 0
    assert et.collect(8) == [] and lt.collect(8) == []
    f.bits = 0b01  # taken, then sent again: an edge
    assert et.collect(8) == [(POLLIN, 1)]
