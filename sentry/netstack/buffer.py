"""Receive queues shared by the families: a byte stream and a message queue.

StreamQueue holds the bytes of a stream socket (unix stream, TCP) as segments; a segment
may carry ancillary data (unix SCM_RIGHTS/SCM_CREDENTIALS), which bounds a read as in
Linux's unix_stream_read_generic: a read never merges bytes across a segment that
carries files, and a segment's credentials differing from the first read's end it.
MessageQueue holds whole records (datagrams, seqpacket) with their source address.
Capacity is in bytes; the sender sees EAGAIN when the receiver's queue is full.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sentry.netstack.socket import Control, Received


class _Segment:
    __slots__ = ("data", "start", "control")

    def __init__(self, data: bytes, control: Control | None) -> None:
        self.data = data
        self.start = 0
        self.control = control


class StreamQueue:
    """A byte stream with a capacity (`size` unread bytes)."""

    def __init__(self, capacity: int) -> None:
        self.segments: deque[_Segment] = deque()
        self.size = 0
        self.capacity = capacity

    def room(self) -> int:
        return max(0, self.capacity - self.size)

    def push(self, data: bytes, control: Control | None = None) -> None:
        if control is None and self.segments and self.segments[-1].control is None \
                and len(self.segments[-1].data) < 65536:
            last = self.segments[-1]
            last.data = last.data[last.start:] + data
            last.start = 0
        else:
            self.segments.append(_Segment(bytes(data), control))
        self.size += len(data)

    def pop(self, n: int, peek: bool = False) -> tuple[bytes, Control | None]:
        """Up to n bytes and the ancillary data of the first segment read."""
        out: list[bytes] = []
        got = 0
        control: Control | None = None
        i = 0
        segs = self.segments
        while got < n and i < len(segs):
            seg = segs[i]
            if seg.control is not None:
                if got:
                    if seg.control.rights or control is None \
                            or seg.control.creds != control.creds:
                        break
                elif control is None:
                    control = seg.control
            elif got and control is not None and control.creds is not None:
                break  # bytes sent without credentials after some sent with them
            avail = len(seg.data) - seg.start
            take = min(avail, n - got)
            out.append(seg.data[seg.start:seg.start + take])
            got += take
            if not peek:
                if take == avail:
                    segs.popleft()
                    self.size -= take
                    if seg.control is not None and seg.control.rights:
                        break  # files end the read (Linux: one skb with fds per read)
                    continue
                seg.start += take
                self.size -= take
                if seg.control is not None:
                    seg.control = Control(creds=seg.control.creds)  # files taken once
                break
            i += 1
            if seg.control is not None and seg.control.rights:
                break
        return b"".join(out), control

    def clear(self) -> None:
        for seg in self.segments:
            if seg.control is not None:
                seg.control.drop()
        self.segments.clear()
        self.size = 0


class MessageQueue:
    """Whole records with their source address; `size` counts queued payload bytes."""

    def __init__(self, capacity: int) -> None:
        self.records: deque[tuple[bytes, bytes, Control | None, Any]] = deque()
        self.size = 0
        self.capacity = capacity

    def __len__(self) -> int:
        return len(self.records)

    def full(self, n: int) -> bool:
        return bool(self.records) and self.size + n > self.capacity

    def push(self, data: bytes, addr: bytes, control: Control | None = None,
             sender: Any = None) -> None:
        self.records.append((bytes(data), addr, control, sender))
        self.size += len(data)

    def pop(self, n: int, peek: bool = False) -> Received:
        data, addr, control, _ = self.records[0]
        if not peek:
            self.records.popleft()
            self.size -= len(data)
        return Received(data[:n], addr, control, 0, len(data))

    def first_len(self) -> int:
        return len(self.records[0][0]) if self.records else 0

    def clear(self) -> None:
        for _, _, control, _ in self.records:
            if control is not None:
                control.drop()
        self.records.clear()
        self.size = 0
