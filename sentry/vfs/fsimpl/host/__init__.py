"""hostfs: a read-only view of a host directory through host fds the Sentry holds."""

from sentry.vfs.fsimpl.host.hostfs import HostFile, HostFS, HostInode

__all__ = ["HostFS", "HostInode", "HostFile"]
