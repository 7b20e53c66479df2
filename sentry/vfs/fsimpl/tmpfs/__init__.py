"""tmpfs: an in-memory filesystem whose regular files are memfds (mmappable host fds)."""

from sentry.vfs.fsimpl.tmpfs.tmpfs import (TmpfsFile, TmpfsFS, TmpfsInode, default_tmpfs_pages,
                                           parse_inodes, parse_size, tmpfs_limits)

__all__ = ["TmpfsFS", "TmpfsInode", "TmpfsFile", "default_tmpfs_pages", "parse_inodes",
           "parse_size", "tmpfs_limits"]
