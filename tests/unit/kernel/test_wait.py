"""Multi-source waits and timers: the kernel's park / wake / cancel on a fake platform."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sentry.kernel.kernel import Kernel
from sentry.kernel.task import Task
from sentry.kernel.task_syscall import Parked, step
from sentry.kernel.wait import Timers, WaitSet, wait_any
from sentry.kernel.waiter import POLLIN, POLLOUT, WaitQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakePlatform:
    def __init__(self) -> None:
        self.watched: dict[int, int] = {}
        self.unwatched: list[int] = []
        self.answers: list[tuple[int, int]] = []

    def watch_fd(self, fd: int, events: int) -> None:
        self.watched[fd] = events

    def unwatch_fd(self, fd: int) -> None:
        self.watched.pop(fd, None)
        self.unwatched.append(fd)

    def answer_notify(self, notif_id: int, result: int, ctx: object = None) -> bool:
        self.answers.append((notif_id, result))
        return True

    def notify_id_valid(self, notif_id: int) -> bool:
        return False


def make_kernel() -> tuple[Kernel, FakePlatform, Clock]:
    platform, clock = FakePlatform(), Clock()
    k = Kernel(platform)
    k.timers = Timers(clock)
    return k, platform, clock


def make_task(k: Kernel, tid: int = 7) -> Task:
    tg = SimpleNamespace(host_pid=0, vpid=tid, tasks=[])
    return Task(k, tid, tid, tg, None, None, None, None)  # type: ignore[arg-type]


async def poll_like(t: Task, sources: list[tuple[Any, int]], deadline: float | None,
                    log: list[str]) -> int:
    try:
        await wait_any(t, sources, deadline)
        return 1
    finally:
        log.append("finally")


def park(k: Kernel, t: Task, coro: Any, notif_id: int = 42) -> None:
    r = step(coro, 7)
    assert isinstance(r, Parked)
    k.park(t, r, notif_id)


def test_timers_order_cancel_and_timeout():
    clock = Clock()
    timers = Timers(clock)
    fired: list[str] = []
    assert not timers and timers.timeout_ms() == -1
    timers.add(1000.5, lambda: fired.append("b"))
    a = timers.add(1000.2, lambda: fired.append("a"))
    timers.add(1000.2, lambda: fired.append("a2"))
    assert timers and timers.timeout_ms() == 200
    timers.cancel(a)
    timers.cancel(a)  # twice: harmless
    clock.now = 1000.3
    assert timers.due()
    timers.fire_due()
    assert fired == ["a2"] and len(timers) == 1
    clock.now = 1001.0
    assert timers.timeout_ms() == 0
    timers.fire_due()
    assert fired == ["a2", "b"] and not timers and not timers.due()


def test_first_source_wakes_and_every_other_registration_goes():
    k, platform, clock = make_kernel()
    t = make_task(k)
    q1, q2 = WaitQueue(), WaitQueue()
    log: list[str] = []
    park(k, t, poll_like(t, [(q1, POLLIN), (q2, POLLIN), (9, POLLOUT)], 1005.0, log))
    assert id(t) in q1._waiters and id(t) in q2._waiters
    assert k.fd_waiters == {9: {t: POLLOUT}} and platform.watched == {9: POLLOUT}
    assert len(k.timers) == 2  # the poll's deadline and the Sentry's look for signals
    q2.notify(POLLIN)
    k._run_woken()
    assert platform.answers == [(42, 1)] and log == ["finally"]
    assert not q1._waiters and not q2._waiters and not k.fd_waiters and not k.timers
    assert platform.unwatched == [9] and t not in k.parked


def test_deadline_wakes_the_task():
    k, platform, clock = make_kernel()
    t = make_task(k)
    q = WaitQueue()
    park(k, t, poll_like(t, [(q, POLLIN)], 1000.05, []))
    assert k.timers.timeout_ms() == 50
    clock.now = 1000.06
    k.timers.fire_due()
    k._run_woken()
    assert platform.answers == [(42, 1)] and not q._waiters


def test_sleep_only_waitset():
    k, platform, clock = make_kernel()
    t = make_task(k)
    park(k, t, poll_like(t, [], 1000.01, []))
    clock.now = 1000.02
    k.timers.fire_due()
    k._run_woken()
    assert platform.answers == [(42, 1)]


def test_cancel_unregisters_everything_and_closes_the_call():
    k, platform, clock = make_kernel()
    t = make_task(k)
    q = WaitQueue()
    log: list[str] = []
    park(k, t, poll_like(t, [(q, POLLIN), (5, POLLIN)], 2000.0, log))
    k.cancel_if_interrupted(t)  # the fake says the notification is gone: a signal
    assert log == ["finally"] and not q._waiters and not k.fd_waiters and not k.timers
    assert platform.unwatched == [5] and t not in k.parked and platform.answers == []


def test_one_host_fd_two_tasks_watches_the_union():
    k, platform, clock = make_kernel()
    a, b = make_task(k, 7), make_task(k, 8)
    park(k, a, poll_like(a, [(3, POLLIN)], None, []), notif_id=1)
    park(k, b, poll_like(b, [(3, POLLOUT)], None, []), notif_id=2)
    assert platform.watched == {3: POLLIN | POLLOUT}
    k.on_fd_ready(3)
    k._run_woken()
    assert sorted(platform.answers) == [(1, 1), (2, 1)] and not k.fd_waiters


def test_same_queue_twice_merges_events():
    k, platform, clock = make_kernel()
    t = make_task(k)
    q = WaitQueue()
    park(k, t, poll_like(t, [(q, POLLIN), (q, POLLOUT)], None, []))
    mask, _ = q._waiters[id(t)]
    assert mask & POLLIN and mask & POLLOUT
    q.notify(POLLOUT)
    k._run_woken()
    assert platform.answers == [(42, 1)]


def test_single_source_wait_still_works():
    k, platform, clock = make_kernel()
    t = make_task(k)
    q = WaitQueue()

    async def reader() -> int:
        await t.wait_on(q, POLLIN)
        return 5

    park(k, t, reader())
    assert isinstance(k.parked[t][0].wait.source, WaitQueue)
    q.notify(POLLIN)
    k._run_woken()
    assert platform.answers == [(42, 5)]
    assert WaitSet([], None).events == 0
