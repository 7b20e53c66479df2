"""Typed access to a trapped syscall's six raw arguments."""

from __future__ import annotations

_M64 = (1 << 64) - 1
_M32 = (1 << 32) - 1


class Args:
    """The raw argument registers (rdi, rsi, rdx, r10, r8, r9) as unsigned 64-bit values.

    Accessors truncate the way the kernel does: an `int` argument uses the low 32 bits.
    `raw` may be longer than six (the loop passes the whole event tuple): only its first six
    items are the arguments.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: tuple[int, ...] | list[int]) -> None:
        self.raw = raw

    def int(self, i: int) -> int:
        """A C `int` (signed 32-bit)."""
        v = self.raw[i] & _M32
        return v - (1 << 32) if v & 0x80000000 else v

    def uint(self, i: int) -> int:
        """A C `unsigned int`."""
        return self.raw[i] & _M32

    def long(self, i: int) -> int:
        """A C `long` / `off_t` / `loff_t` (signed 64-bit)."""
        v = self.raw[i] & _M64
        return v - (1 << 64) if v & (1 << 63) else v

    int64 = long

    def ulong(self, i: int) -> int:
        """A C `unsigned long`."""
        return self.raw[i] & _M64

    ptr = ulong
    size = ulong

    def __repr__(self) -> str:
        return "Args(" + ", ".join(hex(x) for x in self.raw[:6]) + ")"
