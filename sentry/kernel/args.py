"""Typed access to a trapped syscall's six raw arguments."""

from __future__ import annotations

_M64 = (1 << 64) - 1
M32 = (1 << 32) - 1  # an int argument's bits: `a[i] & M32` is Args.uint inline
# Where the loop's notification tuple (sentry/platform/base.py, NOTIFY_LAYOUT) holds the
# path it read with the call (native/trap.c, read_path_ahead): AHEAD_ARG is 1 + the index
# of the argument it came from (0: none), AHEAD_PATH the path.
AHEAD_ARG, AHEAD_PATH = 10, 11


class Args(tuple):
    """The raw argument registers (rdi, rsi, rdx, r10, r8, r9) as unsigned 64-bit values.

    Accessors truncate the way the kernel does: an `int` argument uses the low 32 bits.
    Made from a sequence whose first six items are the registers (the loop passes the whole
    event tuple, whose later items are not arguments), each already an unsigned 64-bit value
    (0 <= v < 2**64: the platforms read them as such). A tuple subclass: made without a
    Python frame, and the unsigned accessors (ptr, ulong, size) are tuple's own indexing.
    A notification's tuple also carries the path the loop read ahead (AHEAD_ARG, AHEAD_PATH;
    see path()).
    """

    __slots__ = ()

    def int(self, i: int) -> int:
        """A C `int` (signed 32-bit)."""
        v = self[i] & M32
        return v - (1 << 32) if v & 0x80000000 else v

    def uint(self, i: int) -> int:
        """A C `unsigned int`."""
        return self[i] & M32

    def long(self, i: int) -> int:
        """A C `long` / `off_t` / `loff_t` (signed 64-bit)."""
        v = self[i] & _M64
        return v - (1 << 64) if v & (1 << 63) else v

    int64 = long

    # A C `unsigned long`, pointer or size: the register as it is (already unsigned).
    ulong = tuple.__getitem__
    ptr = ulong
    size = ulong
    # A file descriptor for FdTable.get/remove only: the register as it is, of which the
    # table takes the low 32 bits (the kernel's `unsigned int fd`; a negative int is no
    # fd either way: EBADF). Not for comparisons with AT_FDCWD: that is int().
    fd = ulong

    def path(self, i: int, mem) -> bytes:
        """Path argument i as mem.read_path(self[i]) reads it: the copy the loop read with
        the notification if it has one (a call in sentry/syscalls/table.py's READ_AHEAD),
        else read now, with read_path's errors."""
        if len(self) > AHEAD_PATH and self[AHEAD_ARG] == i + 1:
            return self[AHEAD_PATH]
        return mem.read_path(self[i])

    def __repr__(self) -> str:
        return "Args(" + ", ".join(hex(x) for x in self[:6]) + ")"
