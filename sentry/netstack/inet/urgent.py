"""TCP urgent data (MSG_OOB) at a receiver, as Linux's tcp_recvmsg/tcp_recv_urg keep it.

A send with MSG_OOB marks its last byte urgent. The byte stays in the receive stream at
`off` (bytes from the read head); without SO_OOBINLINE a normal read stops before it and,
starting at it, skips it; recv(MSG_OOB) returns it once (EINVAL before, after, inline).
A newer urgent byte moves the mark: the older one is then ordinary data. Reading past the
mark forgets it (`state` back to NONE). SIOCATMARK says whether the head is at the mark,
SIOCINQ counts up to the mark, poll has POLLPRI while the byte is unread.
"""

from __future__ import annotations

NONE, VALID, READ = 0, 1, 2


class Urgent:
    """The urgent mark of one receive stream."""

    __slots__ = ("state", "off", "byte")

    def __init__(self) -> None:
        self.state = NONE
        self.off: int | None = None
        self.byte = 0

    def arrive(self, off: int, byte: int) -> None:
        self.state, self.off, self.byte = VALID, off, byte

    def hole(self, inline: bool) -> int:
        """1 if the read head is at an urgent byte a normal read skips."""
        return int(self.state != NONE and self.off == 0 and not inline)

    def plan(self, n: int, inline: bool) -> tuple[int, int]:
        """(bytes a normal read may take, bytes it skips first)."""
        if self.state == NONE or self.off is None:
            return n, 0
        if self.off == 0:
            return n, 0 if inline else 1
        return min(n, self.off), 0

    def consumed(self, k: int) -> None:
        """A normal read took k bytes (a skipped byte included)."""
        if self.off is None or k == 0:
            return
        if k > self.off:
            self.state, self.off = NONE, None
        else:
            self.off -= k

    def inq(self, size: int, inline: bool) -> int:
        """SIOCINQ/FIONREAD: bytes up to the mark while it is ahead (tcp_inq)."""
        if inline or self.state == NONE or self.off is None:
            return size
        return self.off

    def at_mark(self) -> int:
        return int(self.state != NONE and self.off == 0)

    def take(self, peek: bool, inline: bool) -> int | None:
        """recv(MSG_OOB): the byte, or None for EINVAL."""
        if inline or self.state != VALID:
            return None
        if not peek:
            self.state = READ
        return self.byte


__all__ = ["Urgent"]
