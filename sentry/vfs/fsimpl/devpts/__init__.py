"""devpts and the pty driver: /dev/ptmx, /dev/pts/N, termios and the N_TTY line discipline."""

from sentry.vfs.fsimpl.devpts.devpts import DevptsFS, register_devpts
from sentry.vfs.fsimpl.devpts.terminal import MasterFile, ReplicaFile, Terminal

__all__ = ["DevptsFS", "MasterFile", "ReplicaFile", "Terminal", "register_devpts"]
