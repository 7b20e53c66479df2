"""struct termios as the kernel's TCGETS/TCSETS* (36 bytes) and TCGETS2 (44 bytes) see it,
with the flag bits the line discipline uses and Linux's defaults for a new pty."""

from __future__ import annotations

import struct
from sentry.record import dataclass, field

# c_iflag
IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP = 0o1, 0o2, 0o4, 0o10, 0o20, 0o40
INLCR, IGNCR, ICRNL, IUCLC, IXON, IXANY, IXOFF, IMAXBEL, IUTF8 = (
    0o100, 0o200, 0o400, 0o1000, 0o2000, 0o4000, 0o10000, 0o20000, 0o40000)
# c_oflag
OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET = 0o1, 0o2, 0o4, 0o10, 0o20, 0o40
TABDLY, XTABS = 0o14000, 0o14000  # XTABS (TAB3): tabs go out as spaces
# c_cflag
B38400, CS8, CREAD = 0o17, 0o60, 0o200
# c_lflag
ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP = (
    0o1, 0o2, 0o10, 0o20, 0o40, 0o100, 0o200, 0o400)
ECHOCTL, ECHOPRT, ECHOKE, FLUSHO, PENDIN, IEXTEN, EXTPROC = (
    0o1000, 0o2000, 0o4000, 0o10000, 0o40000, 0o100000, 0o200000)
# c_cc indexes
VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC = range(8)
VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2 = range(8, 17)
NCCS = 19

# Linux's INIT_C_CC (include/linux/tty.h), then zeros.
_INIT_CC = bytes([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0]) + bytes(2)

TERMIOS_SIZE = 36
TERMIOS2_SIZE = 44


@dataclass
class Termios:
    """The kernel's struct termios (+ the termios2 speeds)."""

    iflag: int = ICRNL | IXON
    oflag: int = OPOST | ONLCR
    cflag: int = B38400 | CS8 | CREAD
    lflag: int = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
    line: int = 0
    cc: bytearray = field(default_factory=lambda: bytearray(_INIT_CC))
    ispeed: int = 38400
    ospeed: int = 38400

    def pack(self, size: int = TERMIOS_SIZE) -> bytes:
        out = struct.pack("<4IB19s", self.iflag, self.oflag, self.cflag, self.lflag, self.line,
                          bytes(self.cc))
        if size == TERMIOS2_SIZE:
            out += struct.pack("<2I", self.ispeed, self.ospeed)
        return out

    @classmethod
    def unpack(cls, data: bytes) -> Termios:
        iflag, oflag, cflag, lflag, line, cc = struct.unpack_from("<4IB19s", data)
        t = cls(iflag, oflag, cflag, lflag, line, bytearray(cc))
        if len(data) >= TERMIOS2_SIZE:
            t.ispeed, t.ospeed = struct.unpack_from("<2I", data, TERMIOS_SIZE)
        return t

    def copy(self) -> Termios:
        return Termios(self.iflag, self.oflag, self.cflag, self.lflag, self.line,
                       bytearray(self.cc), self.ispeed, self.ospeed)

    def special(self, index: int, c: int) -> bool:
        """Whether c is the control character at `index` (0 means disabled on Linux)."""
        v = self.cc[index]
        return v != 0 and v == c
