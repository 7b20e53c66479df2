"""Syscall dispatch: the only place that calls handlers and turns errors into -errno.

Rules (curio's, adapted):
- A handler returns a non-negative int or raises a SysError; `dispatch` returns -errno.
- A synchronous handler whose last act is a copy-out to the caller may return it instead:
  (addr, data, value), a `Written`, for "value once data is at addr, else EFAULT" (as
  Linux's `copy_to_user(...) ? -EFAULT : value`). Whoever answers the call makes the write
  (`written`); the loop's hot path makes it in the C call that answers (one crossing fewer).
- An `async def` handler may park its task: it awaits a wait request, and the kernel
  resumes the coroutine when the source is ready (`step`). Cancellation (a signal
  interrupted the call) closes the coroutine, so a handler's `finally` undoes its state.
- Any other exception is a Sentry bug: it propagates, and the kernel stops the sandbox
  with the syscall named in the log. It is never turned into an errno and the call is
  never passed to the host.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sentry.abi.errno import ENOSYS, SysError
from sentry.kernel.args import Args
from sentry.abi.sysno import NUMBERS
from sentry.syscalls.table import TABLE, resolve

log = logging.getLogger("sentry")

MAX_NR = 512
Handler = Callable[..., Any]
Written = tuple[int, bytes, int]


# Test-only fault injection: the Sentry reads this variable from its own environment once,
# at start (the workload cannot change it), and the handler of the syscall it names raises
# an ordinary exception: a Sentry bug, which must stop the sandbox, name the call in the
# log and never pass the call to the host (tests/security/test_faults.py).
TEST_FAULT_ENV = "RUNSC_PY_TEST_FAULT"


class InjectedFault(Exception):
    """The exception the test-only fault injection raises in a handler."""


def _faulty(name: str) -> Handler:
    def handler(t: Any, a: Args) -> int:
        raise InjectedFault(f"{TEST_FAULT_ENV}={name}: injected test fault")

    return handler


def build_handlers(test_fault: str | None = None) -> list[Handler | None]:
    """Resolves the table once into a list indexed by syscall number (and, for tests
    only, replaces the handler of the syscall named by `test_fault` with a failing one)."""
    out: list[Handler | None] = [None] * MAX_NR
    for nr, e in TABLE.items():
        out[nr] = resolve(e)
    if test_fault:
        if test_fault not in NUMBERS:
            raise ValueError(f"{TEST_FAULT_ENV}: no syscall named {test_fault!r}")
        out[NUMBERS[test_fault]] = _faulty(test_fault)
    return out


class Parked:
    """A syscall waiting for a wait source; `wait` is the request the coroutine yielded."""

    __slots__ = ("coro", "nr", "wait")

    def __init__(self, coro: Coroutine, nr: int, wait: Any) -> None:
        self.coro = coro
        self.nr = nr
        self.wait = wait


def dispatch(handlers: list[Handler | None], t: Any, nr: int, raw: Any) -> int | Parked:
    """Runs the handler for `nr`; returns the result (-errno on error) or a Parked call."""
    h = handlers[nr] if 0 <= nr < MAX_NR else None
    if h is None:
        return -ENOSYS.errno
    try:
        r = h(t, Args(raw))
    except SysError as e:
        return -e.errno
    if r.__class__ is int:
        return r
    if r.__class__ is tuple:
        return written(t, r)
    if isinstance(r, Coroutine):
        return step(r, nr)
    raise TypeError(f"handler for syscall {nr} returned {r!r}")


def written(t: Any, r: Written) -> int:
    """A Written result made an int: its copy-out made, its value (or -EFAULT)."""
    addr, data, value = r
    try:
        t.mem.write(addr, data)
    except SysError as e:
        return -e.errno
    return value


def step(coro: Coroutine, nr: int) -> int | Parked:
    """Advances a handler coroutine until it finishes or parks again."""
    try:
        wait = coro.send(None)
    except StopIteration as s:
        if s.value.__class__ is tuple:  # (whoever answers after a wait knows no Written)
            raise TypeError(f"a coroutine handler for syscall {nr} returned {s.value!r}") from None
        return s.value
    except SysError as e:
        return -e.errno
    return Parked(coro, nr, wait)
