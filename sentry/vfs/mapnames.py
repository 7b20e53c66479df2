"""The guest's names for the host files the Sentry lets tasks mmap (for /proc/<pid>/maps).

A file mapping is made by the host from a host fd the Sentry donates, so the host's
/proc/<pid>/maps names the host file (a host path, or /memfd:… for tmpfs). Every time the
Sentry hands out such an fd it records (host st_dev, st_ino) → (guest path, guest dev,
guest ino); procfs rewrites the host's lines with it, and shows a mapping it cannot name
as anonymous: a host path never reaches the guest.

Differences: a file renamed after it was mapped keeps the name it had at mmap time (or
at the first of a run of mmaps of one open file: the later ones reuse the donated fd).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentry.vfs.file import FileDescription


class MapNames:
    def __init__(self) -> None:
        self._names: dict[tuple[int, int], tuple[bytes, int, int]] = {}

    def note(self, host_fd: int, f: FileDescription) -> None:
        """Records the guest name of the file behind host_fd (called before the host maps it)."""
        inode = getattr(f, "immutable_inode", None)  # whose host ids the Sentry knows
        if inode is not None:
            key = inode.host_id
        else:
            hst = os.fstat(host_fd)
            key = (hst.st_dev, hst.st_ino)
        gst = f.stat()
        self._names[key] = (f.guest_path(), gst.dev, gst.ino)

    def note_raw(self, host_fd: int, name: bytes, dev: int, ino: int) -> None:
        """Records a name that no guest file has (a SysV segment's "/SYSVkey (deleted)")."""
        hst = os.fstat(host_fd)
        self._names[(hst.st_dev, hst.st_ino)] = (name, dev, ino)

    def get(self, dev: int, ino: int) -> tuple[bytes, int, int] | None:
        """(guest path, guest dev, guest ino) for a host file, None if never handed out."""
        return self._names.get((dev, ino))
