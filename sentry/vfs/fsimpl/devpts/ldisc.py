"""The N_TTY line discipline: what happens to bytes between a terminal's two sides.

Input (the master's writes, a keyboard on a real tty) goes through `receive`: input flags
(ICRNL, INLCR, IGNCR, ISTRIP), flow control (IXON: VSTOP/VSTART), signal characters
(ISIG: VINTR, VQUIT, VSUSP → the returned signals, for the foreground process group),
canonical editing (ICANON: VERASE, VKILL, VWERASE, VLNEXT, VEOF, VEOL, VEOL2, newline) and
echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL). Output (the replica's writes and the
echo) goes through `_opost` (OPOST: ONLCR, OCRNL, ONOCR, ONLRET, OLCUC) into `out`, what
the master reads.

Non-canonical reads follow VMIN and VTIME (`read`, `read_deadline`): a read returns once
min(VMIN, count) bytes are there; with VTIME, VMIN=0 waits at most VTIME tenths of a
second in all and VMIN>0 returns what it has when no byte came for VTIME (the inter-byte
timer, measured here from the last byte received).

Differences from Linux: VREPRINT, VDISCARD, PARMRK, IUCLC, IMAXBEL and packet mode are not
implemented; erasing a tab echoes one column; a signal that interrupts a VMIN read leaves
the bytes queued (Linux returns those it copied already).
"""

from __future__ import annotations

import time
from collections import deque

from sentry.vfs.fsimpl.devpts.termios import (
    ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG,
    ISTRIP, IUTF8, IXANY, IXON, NOFLSH, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, TABDLY,
    VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VSTART, VSTOP, VSUSP, VTIME,
    VWERASE, XTABS, Termios,
)

N_TTY_BUF_SIZE = 4096
# With none of these set, input goes to the read queue untouched (raw mode).
_RAW_LFLAGS = ISIG | ICANON | ECHO | ECHONL | IEXTEN
_RAW_IFLAGS = ISTRIP | INLCR | IGNCR | ICRNL | IXON
SIGINT, SIGQUIT, SIGTSTP = 2, 3, 20


class LineDiscipline:
    """One terminal's input queue (lines or raw bytes) and output queue (`out`)."""

    def __init__(self, termios: Termios | None = None) -> None:
        self.termios = termios or Termios()
        self.lines: deque[bytearray] = deque()  # canonical: completed lines (b"" = EOF)
        self.line = bytearray()  # canonical: the line being edited
        self.raw = bytearray()  # non-canonical: bytes ready to read
        self.out = bytearray()  # processed output, for the master to read
        self.stopped = False  # output stopped by VSTOP (IXON)
        self._lnext = False
        self._column = 0
        self.last_input = 0.0  # time.monotonic() of the last byte received (VTIME)

    # --- input --------------------------------------------------------------------------
    def pending_input(self) -> int:
        return sum(len(x) for x in self.lines) + len(self.line) + len(self.raw)

    def has_room(self) -> bool:
        """Whether receive may take more bytes (the master's writes stall otherwise)."""
        if self.termios.lflag & ICANON:
            return sum(len(x) for x in self.lines) < N_TTY_BUF_SIZE
        return len(self.raw) < N_TTY_BUF_SIZE - 1

    def receive(self, data: bytes) -> list[int]:
        """Processes input bytes; returns the signals they generated (in order)."""
        t = self.termios
        if data:
            self.last_input = time.monotonic()
        if not t.lflag & _RAW_LFLAGS and not t.iflag & _RAW_IFLAGS and not self._lnext:
            self.raw += data  # raw mode (cfmakeraw): nothing to look at
            return []
        sigs: list[int] = []
        for c in data:
            sig = self._receive_char(c)
            if sig:
                sigs.append(sig)
        return sigs

    def _receive_char(self, c: int) -> int:
        t = self.termios
        if t.iflag & ISTRIP:
            c &= 0x7F
        if self._lnext:
            self._lnext = False
            self._store(c, literal=True)
            return 0
        if t.iflag & IXON:
            if t.special(VSTOP, c):
                self.stopped = True
                return 0
            if t.special(VSTART, c) or (self.stopped and t.iflag & IXANY):
                self.stopped = False
                if t.special(VSTART, c):
                    return 0
        if t.lflag & ISIG:
            for index, sig in ((VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)):
                if t.special(index, c):
                    if not t.lflag & NOFLSH:
                        self.flush_input()
                        self.out.clear()
                    self.stopped = False
                    self._echo_char(c)
                    return sig
        if c == 13:
            if t.iflag & IGNCR:
                return 0
            if t.iflag & ICRNL:
                c = 10
        elif c == 10 and t.iflag & INLCR:
            c = 13
        if t.lflag & ICANON and self._edit(c):
            return 0
        self._store(c)
        return 0

    def _edit(self, c: int) -> bool:
        """Canonical-mode editing characters; True if c was one (and is consumed)."""
        t = self.termios
        if t.special(VERASE, c):
            self._erase(1)
            return True
        if t.special(VKILL, c):
            self._kill(c)
            return True
        if t.lflag & IEXTEN:
            if t.special(VWERASE, c):
                self._werase()
                return True
            if t.special(VLNEXT, c):
                self._lnext = True
                if t.lflag & ECHO and t.lflag & ECHOCTL:
                    self._output(b"^\b")
                return True
        if t.special(VEOF, c):
            self._finish_line()
            return True
        return False

    def _store(self, c: int, literal: bool = False) -> None:
        t = self.termios
        if not t.lflag & ICANON:
            self._echo_char(c)
            self.raw.append(c)
            return
        ends = not literal and (c == 10 or t.special(VEOL, c) or t.special(VEOL2, c))
        if not ends and len(self.line) >= N_TTY_BUF_SIZE - 1:
            return  # a full line takes only its end (Linux drops the rest)
        if c == 10 and not literal:
            if t.lflag & (ECHO | ECHONL):
                self._output(b"\n")
        else:
            self._echo_char(c)
        self.line.append(c)
        if ends:
            self._finish_line()

    def _finish_line(self) -> None:
        self.lines.append(self.line)
        self.line = bytearray()

    def _echo_char(self, c: int) -> None:
        t = self.termios
        if not t.lflag & ECHO:
            return
        if t.lflag & ECHOCTL and (c < 32 or c == 127) and c not in (9, 10):
            self._output(bytes((ord("^"), c ^ 0o100)))
        else:
            self._output(bytes((c,)))

    def _width(self, c: int) -> int:
        ctl = (c < 32 or c == 127) and c != 9
        return 2 if ctl and self.termios.lflag & ECHOCTL else 1

    def _erase(self, count: int) -> None:
        t = self.termios
        for _ in range(count):
            if not self.line:
                return
            c = self.line.pop()
            if t.lflag & ECHO and t.lflag & ECHOE:
                self._output(b"\b \b" * self._width(c))

    def _kill(self, c: int) -> None:
        t = self.termios
        if t.lflag & ECHO and t.lflag & ECHOKE and t.lflag & ECHOE:
            self._erase(len(self.line))
            return
        self.line.clear()
        if t.lflag & ECHO:
            self._echo_char(c)
            if t.lflag & ECHOK:
                self._output(b"\n")

    def _werase(self) -> None:
        n = len(self.line)
        while n and self.line[n - 1] in b" \t":
            n -= 1
        while n and self.line[n - 1] not in b" \t":
            n -= 1
        self._erase(len(self.line) - n)

    def flush_input(self) -> None:
        self.lines.clear()
        self.line.clear()
        self.raw.clear()

    # --- reading the input --------------------------------------------------------------
    def input_available(self) -> bool:
        """poll's POLLIN: a whole line; raw, VMIN bytes when VTIME is 0, else one."""
        t = self.termios
        if t.lflag & ICANON:
            return bool(self.lines)
        vmin = t.cc[VMIN]
        return len(self.raw) >= (vmin if vmin and not t.cc[VTIME] else 1)

    def inq(self) -> int:
        """FIONREAD: whole lines in canonical mode, else the raw bytes."""
        if self.termios.lflag & ICANON:
            return sum(len(x) for x in self.lines)
        return len(self.raw)

    def read(self, n: int, expired: bool = False) -> bytes | None:
        """Up to n bytes (one line at most in canonical mode); None if a read must wait.

        `expired`: the read's VTIME deadline passed, so it takes what is there (maybe b"").
        """
        if self.termios.lflag & ICANON:
            if not self.lines:
                return None
            first = self.lines[0]
            data = bytes(first[:n])
            del first[:n]
            if not first:
                self.lines.popleft()
            return data
        vmin = self.termios.cc[VMIN]
        if len(self.raw) < (min(vmin, n) if vmin else 1) and not expired:
            return b"" if not vmin and not self.termios.cc[VTIME] else None
        data = bytes(self.raw[:n])
        del self.raw[:n]
        return data

    def read_deadline(self, started: float) -> float | None:
        """When a non-canonical read that started at `started` (time.monotonic) stops
        waiting and returns what is there; None: it waits for data however long."""
        t = self.termios
        vtime = t.cc[VTIME]
        if t.lflag & ICANON or not vtime:
            return None
        if not t.cc[VMIN]:
            return started + vtime / 10
        return self.last_input + vtime / 10 if self.raw else None

    def set_termios(self, new: Termios) -> None:
        """TCSETS*: switching canonical mode off makes the pending input readable as is."""
        was_canon = self.termios.lflag & ICANON
        self.termios = new
        if was_canon and not new.lflag & ICANON:
            self.raw += b"".join(self.lines) + self.line
            self.lines.clear()
            self.line = bytearray()
        elif not was_canon and new.lflag & ICANON and self.raw:
            self.lines.append(self.raw)
            self.raw = bytearray()

    # --- output -------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """The replica's write: output processing into `out`."""
        self._output(data)

    def _output(self, data: bytes) -> None:
        t = self.termios
        if not t.oflag & OPOST:
            self.out += data
            return
        if not t.oflag & (OLCUC | OCRNL | ONOCR | ONLRET) and t.oflag & TABDLY != XTABS:
            # The usual OPOST|ONLCR: one replace. The column only matters for ONOCR and
            # XTABS; that switching one on meets a rough column is a difference from Linux.
            self.out += data.replace(b"\n", b"\r\n") if t.oflag & ONLCR else data
            last = max(data.rfind(b"\n"), data.rfind(b"\r"))
            self._column = len(data) - last - 1 if last >= 0 else self._column + len(data)
            return
        utf8 = t.iflag & IUTF8
        for c in data:
            if t.oflag & OLCUC and 97 <= c <= 122:
                c -= 32
            if c == 10:
                if t.oflag & ONLCR:
                    self.out += b"\r\n"
                    self._column = 0
                    continue
                if t.oflag & ONLRET:
                    self._column = 0
            elif c == 13:
                if t.oflag & ONOCR and self._column == 0:
                    continue
                if t.oflag & OCRNL:
                    c = 10
                    if t.oflag & ONLRET:
                        self._column = 0
                else:
                    self._column = 0
            elif c == 9:
                spaces = 8 - (self._column & 7)
                self._column += spaces
                if t.oflag & TABDLY == XTABS:
                    self.out += b" " * spaces
                    continue
            elif c == 8:
                self._column = max(0, self._column - 1)
            elif (32 <= c < 127 or c >= 160) and not (utf8 and c & 0xC0 == 0x80):
                self._column += 1  # not a control (Latin-1's C1 included), not continuation
            self.out.append(c)
