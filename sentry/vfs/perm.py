"""Permission checks against a task's credentials (generic_permission in Linux)."""

from __future__ import annotations

from sentry.abi.errno import EACCES, EPERM
from sentry.abi.stat import S_IFDIR, S_IFMT, S_ISVTX, Stat
from sentry.kernel.creds import Credentials

MAY_EXEC = 1
MAY_WRITE = 2
MAY_READ = 4


def can_access(creds: Credentials, st: Stat, want: int) -> bool:
    """Whether `creds` may `want` (MAY_* bits) on a file with attributes `st`.

    fsuid 0 stands for CAP_DAC_OVERRIDE: read and write always, search on directories,
    exec on other files only if some x bit is set.
    """
    mode = st.mode
    if creds.fsuid == 0:
        if want & MAY_EXEC and mode & S_IFMT != S_IFDIR and not mode & 0o111:
            return False
        return True
    if creds.fsuid == st.uid:
        bits = mode >> 6
    elif creds.in_group(st.gid):
        bits = mode >> 3
    else:
        bits = mode
    return bits & want & 7 == want


def check_access(creds: Credentials, st: Stat, want: int) -> None:
    """Raises EACCES unless can_access."""
    if not can_access(creds, st, want):
        raise EACCES()


def is_owner(creds: Credentials, st: Stat) -> bool:
    """Whether creds own the file or are root (CAP_FOWNER)."""
    return creds.fsuid == 0 or creds.fsuid == st.uid


def check_sticky(creds: Credentials, dir_st: Stat, child_st: Stat) -> None:
    """EPERM when removing/renaming `child` out of a sticky dir the caller does not own."""
    if dir_st.mode & S_ISVTX and not is_owner(creds, child_st) and creds.fsuid != dir_st.uid:
        raise EPERM()
