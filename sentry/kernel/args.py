"""Typed access to a trapped syscall's six raw arguments."""

from __future__ import annotations

_M64 = (1 << 64) - 1
M32 = (1 << 32) - 1  # an int argument's bits: `a[i] & M32` is Args.uint inline


class Args(tuple):
    """The raw argument registers (rdi, rsi, rdx, r10, r8, r9) as unsigned 64-bit values.

    Accessors truncate the way the kernel does: an `int` argument uses the low 32 bits.
    Made from a sequence whose first six items are the registers (the loop passes the whole
    event tuple, whose later items are not arguments), each already an unsigned 64-bit value
    (0 <= v < 2**64: the platforms read them as such). A tuple subclass: made without a
    Python frame, and the unsigned accessors (ptr, ulong, size) are tuple's own indexing.
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

    def __repr__(self) -> str:
        return "Args(" + ", ".join(hex(x) for x in self[:6]) + ")"
