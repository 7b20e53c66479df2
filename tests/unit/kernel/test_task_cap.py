"""The task table's cap (process.reserve_task): EAGAIN for any caller at k.max_tasks,
counting live tasks, zombies and clones the host is still running."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sentry.abi.errno import EAGAIN
from sentry.kernel.process import reserve_task


class _Task:  # hashable by identity, as Task
    def __init__(self, tid: int, rerun: str | None = None) -> None:
        self.host_tid, self.ctx = tid, SimpleNamespace(rerun=rerun)


def _task(tid: int, rerun: str | None = None) -> _Task:
    return _Task(tid, rerun)


def _kernel(live: int, zombies: int, limit: int) -> SimpleNamespace:
    tasks = {i: _task(i) for i in range(1, live + 1)}
    groups = {i: SimpleNamespace(tasks=[tasks[i]]) for i in tasks}
    groups.update({1000 + i: SimpleNamespace(tasks=[]) for i in range(zombies)})
    return SimpleNamespace(tasks=tasks, thread_groups=groups, cloning=set(), max_tasks=limit)


def test_live_and_zombies_count():
    k = _kernel(live=3, zombies=2, limit=6)
    reserve_task(k, k.tasks[1])  # 3 + 2 < 6: one more fits
    assert k.cloning == {k.tasks[1]}
    k.tasks[1].ctx.rerun = "running"  # its clone is still running on the host
    with pytest.raises(EAGAIN):
        reserve_task(k, k.tasks[2])  # 3 + 2 + 1 pending
    assert k.cloning == {k.tasks[1]}


def test_a_finished_clone_frees_its_slot():
    k = _kernel(live=3, zombies=2, limit=6)
    reserve_task(k, k.tasks[1])
    k.tasks[1].ctx.rerun = None  # the exit stop came without a child (the host refused)
    reserve_task(k, k.tasks[2])
    assert k.cloning == {k.tasks[2]}


def test_a_task_reserves_once():
    k = _kernel(live=5, zombies=0, limit=6)
    reserve_task(k, k.tasks[1])
    k.tasks[1].ctx.rerun = "running"
    reserve_task(k, k.tasks[1])  # its earlier clone is over (it traps again)
    assert k.cloning == {k.tasks[1]}


def test_dead_tasks_do_not_hold_slots():
    k = _kernel(live=4, zombies=0, limit=6)
    ghost = _task(99, "running")
    k.cloning.add(ghost)  # died mid-clone, not in k.tasks
    reserve_task(k, k.tasks[1])
    assert k.cloning == {k.tasks[1]}


def test_root_is_not_exempt():
    k = _kernel(live=6, zombies=0, limit=6)
    with pytest.raises(EAGAIN):
        reserve_task(k, k.tasks[1])
