"""A task's scheduling attributes as the guest sees them: nice value, policy, real-time
priority, reset-on-fork (Linux's static_prio, policy, rt_priority, sched_reset_on_fork).

They are per thread and inherited by clone. The host scheduler is told only what makes a
task nicer: a positive nice value (sys_sched applies max(nice, 0) to the task's thread).
Real-time and idle policies stay the guest's view: a sandbox never gets host real-time
priority, and host CFS keeps scheduling its threads as SCHED_OTHER.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("sentry")

SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH = 0, 1, 2, 3
SCHED_IDLE, SCHED_DEADLINE, SCHED_EXT = 5, 6, 7
SCHED_RESET_ON_FORK = 0x40000000
RT_POLICIES = (SCHED_FIFO, SCHED_RR)
VALID_POLICIES = (SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE,
                  SCHED_DEADLINE, SCHED_EXT)
MIN_NICE, MAX_NICE = -20, 19
MAX_RT_PRIO = 100


class SchedAttrs:
    __slots__ = ("nice", "policy", "rt_priority", "reset_on_fork", "dl", "ioprio")

    def __init__(self, nice: int = 0, policy: int = SCHED_OTHER, rt_priority: int = 0,
                 reset_on_fork: bool = False) -> None:
        self.nice = nice
        self.policy = policy
        self.rt_priority = rt_priority
        self.reset_on_fork = reset_on_fork
        self.dl = (0, 0, 0)  # SCHED_DEADLINE's runtime, deadline, period (ns)
        self.ioprio = 0  # ioprio_set's value (class << 13 | data); 0: none set

    def fork(self) -> SchedAttrs:
        """A new task's attributes: the same, unless reset-on-fork, which gives a child
        of a real-time task SCHED_OTHER, of a negative nice value 0, and clears itself."""
        if not self.reset_on_fork:
            child = SchedAttrs(self.nice, self.policy, self.rt_priority)
            child.dl = self.dl
        else:
            rt = self.policy in RT_POLICIES or self.policy == SCHED_DEADLINE
            child = SchedAttrs(max(self.nice, 0), SCHED_OTHER if rt else self.policy, 0)
        child.ioprio = self.ioprio  # (copy_io: a child's I/O context starts with it)
        return child


def host_nice(host_tid: int, nice: int) -> None:
    """Tells the host scheduler a task's nice value, never below 0: a positive one makes
    the task yield to others on the host too; a negative one stays the guest's view."""
    try:
        os.setpriority(os.PRIO_PROCESS, host_tid, max(nice, 0))
    except OSError as e:  # gone meanwhile, or a host without the privilege to come back
        log.debug("setpriority(host tid %d): %s", host_tid, e)


def host_slice_ns(host_tid: int) -> int | None:
    """The host's time slice of a task's thread (sched_rr_get_interval), None if gone."""
    try:
        return int(os.sched_rr_get_interval(host_tid) * 1e9)
    except OSError:
        return None
