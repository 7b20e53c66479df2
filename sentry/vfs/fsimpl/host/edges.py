"""The edges of host fds, for epoll sets that watch host-backed files (host stdio streams,
hostinet sockets): a host epoll instance the Sentry owns, with each host fd registered
edge-triggered for every event, tells which of them had a new event since the last look.

The host kernel makes the edges, so they are Linux's. The instance's own fd is what a
guest epoll_wait parks on in the loop (it is readable while an edge is pending).
"""

from __future__ import annotations

import select

from sentry.vfs.fsimpl.host.hostfs import sys_error

_ALL = (select.EPOLLIN | select.EPOLLOUT | select.EPOLLPRI | select.EPOLLRDHUP
        | select.EPOLLERR | select.EPOLLHUP | select.EPOLLET)


class HostEdges:
    """Host fds watched edge-triggered (each counted: several entries may share one)."""

    def __init__(self) -> None:
        self._ep = select.epoll()
        self._counts: dict[int, int] = {}

    def fileno(self) -> int:
        return self._ep.fileno()

    def add(self, fd: int) -> None:
        """Watches fd; the host's error as the guest's (EPERM: a host file never blocks)."""
        n = self._counts.get(fd, 0)
        if n == 0:
            try:
                self._ep.register(fd, _ALL)
            except OSError as e:
                raise sys_error(e) from None
        self._counts[fd] = n + 1

    def remove(self, fd: int) -> None:
        n = self._counts.get(fd, 0) - 1
        if n > 0:
            self._counts[fd] = n
            return
        self._counts.pop(fd, None)
        try:
            self._ep.unregister(fd)
        except OSError:
            pass  # closed meanwhile: the host dropped it already

    def take(self) -> list[tuple[int, int]]:
        """The (host fd, events) pairs with an edge since the last call."""
        return self._ep.poll(0) if self._counts else []

    def close(self) -> None:
        self._ep.close()
