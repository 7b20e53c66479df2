"""hostfs: a view of a host directory through host fds the Sentry holds (read-only, or
writable for rw bind mounts)."""

from sentry.vfs.fsimpl.host.hostfs import HostFile, HostFS, HostInode
from sentry.vfs.fsimpl.host.writable import WritableHostFS, WritableHostInode

__all__ = ["HostFS", "HostInode", "HostFile", "WritableHostFS", "WritableHostInode"]
