"""Permission checks against a task's credentials (generic_permission in Linux)."""

from __future__ import annotations

from sentry.abi.errno import EACCES, EPERM
from sentry.abi.stat import S_IFDIR, S_IFMT, S_IFREG, S_ISGID, S_ISUID, S_ISVTX, Stat
from sentry.kernel.creds import (
    CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, Credentials, capable,
)

MAY_EXEC = 1
MAY_WRITE = 2
MAY_READ = 4


def can_access(creds: Credentials, st: Stat, want: int) -> bool:
    """Whether `creds` may `want` (MAY_* bits) on a file with attributes `st`.

    The mode bits first, then the capabilities (generic_permission): CAP_DAC_READ_SEARCH
    reads any file and reads or searches any directory; CAP_DAC_OVERRIDE reads and writes
    anything, searches directories, and executes other files if some x bit is set.
    """
    mode = st.mode
    if creds.fsuid == st.uid:
        bits = mode >> 6
    elif creds.in_group(st.gid):
        bits = mode >> 3
    else:
        bits = mode
    if bits & want & 7 == want:
        return True
    if mode & S_IFMT == S_IFDIR:
        if not want & MAY_WRITE and capable(creds, CAP_DAC_READ_SEARCH):
            return True
        return capable(creds, CAP_DAC_OVERRIDE)
    if want == MAY_READ and capable(creds, CAP_DAC_READ_SEARCH):
        return True
    if want & MAY_EXEC and not mode & 0o111:
        return False
    return capable(creds, CAP_DAC_OVERRIDE)


def check_access(creds: Credentials, st: Stat, want: int) -> None:
    """Raises EACCES unless can_access."""
    if creds.fsuid == st.uid and (st.mode >> 6) & want & 7 == want:
        return  # the owner's bits allow it (can_access's first case, without the call)
    if not can_access(creds, st, want):
        raise EACCES()


def is_owner(creds: Credentials, st: Stat) -> bool:
    """Whether creds own the file or hold CAP_FOWNER (inode_owner_or_capable)."""
    return creds.fsuid == st.uid or capable(creds, CAP_FOWNER)


def check_sticky(creds: Credentials, dir_st: Stat, child_st: Stat) -> None:
    """EPERM when removing/renaming `child` out of a sticky dir the caller does not own."""
    if dir_st.mode & S_ISVTX and not is_owner(creds, child_st) and creds.fsuid != dir_st.uid:
        raise EPERM()


def check_hardlink(creds: Credentials, st: Stat) -> None:
    """EPERM for a link to a file that is neither the caller's (or CAP_FOWNER) nor one
    anyone may link to: regular, not set-id, readable and writable by the caller
    (fs.protected_hardlinks = 1, Linux's default)."""
    if is_owner(creds, st):
        return
    mode = st.mode
    setgid_exec = mode & (S_ISGID | 0o010) == S_ISGID | 0o010
    if mode & S_IFMT != S_IFREG or mode & S_ISUID or setgid_exec or not can_access(
            creds, st, MAY_READ | MAY_WRITE):
        raise EPERM()
