"""Copy-in/copy-out of a task's memory: the only way handlers touch guest memory.

Every accessor raises EFAULT when any byte it needs is unmapped (a bad pointer is an
errno, never a Sentry crash). The backend is the platform's address space: it moves bytes
with process_vm_readv/writev (C, native/) and may return short counts at a bad page.
"""

from __future__ import annotations

import struct
from typing import Protocol

from sentry.abi.errno import EFAULT, ENAMETOOLONG

PATH_MAX = 4096
PAGE = 4096
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_IOVEC = struct.Struct("<QQ")


class MemoryBackend(Protocol):
    def read_raw(self, addr: int, n: int) -> bytes:
        """Reads up to n bytes at addr; fewer (maybe none) if a page is unmapped."""

    def write_raw(self, addr: int, data: bytes) -> int:
        """Writes data at addr; returns the count written before an unmapped page."""


class Memory:
    """Typed copy-in/copy-out for one task."""

    __slots__ = ("backend", "read_cstr", "read_path", "write", "pread_to")

    def __init__(self, backend: MemoryBackend) -> None:
        self.backend = backend
        # A backend may read strings itself (the platforms' AddressSpace does it in C).
        self.read_cstr = getattr(backend, "read_cstr", None) or self._read_cstr
        self.read_path = getattr(backend, "read_path", None) or self._read_path
        self.write = getattr(backend, "write", None) or self._write
        # The platforms' read straight from a host fd into the task (HostFile.read_to).
        self.pread_to = getattr(backend, "pread_to", None)

    def read(self, addr: int, n: int) -> bytes:
        if n == 0:
            return b""
        if addr + n > 1 << 64:
            raise EFAULT()
        data = self.backend.read_raw(addr, n)
        if len(data) != n:
            raise EFAULT()
        return data

    def read_partial(self, addr: int, n: int) -> bytes:
        """Reads up to n bytes, stopping at the first unmapped page (for I/O that may be short)."""
        return self.backend.read_raw(addr, n) if n else b""

    def _write(self, addr: int, data: bytes) -> None:
        """write(addr, data): all of data at addr, or EFAULT (a backend may provide write
        itself, in one C call)."""
        if not data:
            return
        if self.backend.write_raw(addr, data) != len(data):
            raise EFAULT()

    def write_partial(self, addr: int, data: bytes) -> int:
        return self.backend.write_raw(addr, data) if data else 0

    def _read_cstr(self, addr: int, limit: int) -> bytes:
        """Reads a NUL-terminated string of at most `limit` bytes including the NUL.

        Raises ENAMETOOLONG if no NUL is found within `limit` bytes, EFAULT if memory ends first.
        """
        out = b""
        first = True
        while len(out) < limit:
            chunk = min(PAGE - (addr + len(out)) % PAGE, limit - len(out))
            if first:  # most strings are short: do not copy the rest of the page first
                chunk = min(chunk, 256)
                first = False
            data = self.backend.read_raw(addr + len(out), chunk)
            nul = data.find(b"\0")
            if nul >= 0:
                return out + data[:nul]
            if len(data) != chunk:
                raise EFAULT()
            out += data
        raise ENAMETOOLONG()

    def _read_path(self, addr: int) -> bytes:
        """read_path(addr): a path argument (PATH_MAX including the NUL); the empty path
        is returned as b"" (a backend may provide read_path itself, in one C call)."""
        if addr == 0:
            raise EFAULT()
        return self.read_cstr(addr, PATH_MAX)

    def read_u64(self, addr: int) -> int:
        return _U64.unpack(self.read(addr, 8))[0]

    def read_i64(self, addr: int) -> int:
        return _I64.unpack(self.read(addr, 8))[0]

    def read_u32(self, addr: int) -> int:
        return _U32.unpack(self.read(addr, 4))[0]

    def read_i32(self, addr: int) -> int:
        return _I32.unpack(self.read(addr, 4))[0]

    def write_u64(self, addr: int, v: int) -> None:
        self.write(addr, _U64.pack(v & (1 << 64) - 1))

    def write_i32(self, addr: int, v: int) -> None:
        self.write(addr, _I32.pack(v))

    def write_u32(self, addr: int, v: int) -> None:
        self.write(addr, _U32.pack(v & 0xFFFFFFFF))

    def read_iovecs(self, addr: int, count: int) -> list[tuple[int, int]]:
        """Reads `count` struct iovec (base, len); EINVAL checks are the caller's."""
        data = self.read(addr, 16 * count)
        return [_IOVEC.unpack_from(data, 16 * i) for i in range(count)]

    def read_ptr_array(self, addr: int, limit: int) -> list[int]:
        """Reads a NULL-terminated array of pointers (argv, envp) of at most `limit` entries.

        Reads a page at a time (one process_vm_readv per page, not per pointer).
        """
        out: list[int] = []
        p = addr
        while True:
            chunk = PAGE - p % PAGE
            data = self.backend.read_raw(p, chunk)
            if len(data) < 8:  # a pointer across a page boundary, or a bad page (EFAULT)
                data = self.read(p, 8)
            n = len(data) // 8
            words = memoryview(data)[:8 * n].cast("Q").tolist()  # (x86-64: little-endian)
            end = words.index(0) if 0 in words else n
            out += words[:end]
            if len(out) > limit:
                from sentry.abi.errno import E2BIG

                raise E2BIG()
            if end < n:
                return out
            p += 8 * n


class BufferBackend:
    """An in-process address space for unit tests: a dict of base → bytearray regions."""

    def __init__(self) -> None:
        self.regions: dict[int, bytearray] = {}

    def map(self, base: int, size: int) -> int:
        self.regions[base] = bytearray(size)
        return base

    def _find(self, addr: int) -> tuple[bytearray, int] | None:
        for base, buf in self.regions.items():
            if base <= addr < base + len(buf):
                return buf, addr - base
        return None

    def read_raw(self, addr: int, n: int) -> bytes:
        found = self._find(addr)
        if not found:
            return b""
        buf, off = found
        return bytes(buf[off : off + n])

    def write_raw(self, addr: int, data: bytes) -> int:
        found = self._find(addr)
        if not found:
            return 0
        buf, off = found
        n = min(len(data), len(buf) - off)
        buf[off : off + n] = data[:n]
        return n


class PageSnapshot:
    """One read of a task's memory from `lo` to the end of the next page (or of its own,
    if the next is not mapped), for a handler that reads several small things there
    (execve's path, argv and envp usually lie within two pages of the caller's stack):
    each accessor returns None when what it needs is not all in the snapshot (the caller
    then reads the careful way, with its errors). The task must not run meanwhile."""

    def __init__(self, mem: Memory, lo: int) -> None:
        self.lo = lo
        self.buf = mem.backend.read_raw(lo, 2 * PAGE - lo % PAGE) if lo else b""

    def cstr(self, addr: int) -> bytes | None:
        """The NUL-terminated string at addr (shorter than two pages), if it ends in here."""
        off = addr - self.lo
        end = self.buf.find(b"\0", off) if 0 <= off < len(self.buf) else -1
        return self.buf[off:end] if end >= 0 else None

    def ptr_array(self, addr: int) -> list[int] | None:
        """The NULL-terminated array of pointers at addr, if it ends in here."""
        off = addr - self.lo
        if not 0 <= off < len(self.buf):
            return None
        n = (len(self.buf) - off) // 8
        words = memoryview(self.buf[off:off + 8 * n]).cast("Q").tolist()  # (little-endian)
        return words[:words.index(0)] if 0 in words else None

    def tail(self, addr: int) -> bytes | None:
        """From addr to the end of the snapshot, if addr is in it."""
        off = addr - self.lo
        return self.buf[off:] if 0 <= off < len(self.buf) else None
