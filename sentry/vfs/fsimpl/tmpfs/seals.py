"""File seals (fcntl F_ADD_SEALS / F_GET_SEALS) as Linux's mm/memfd.c and shmem keep them.

Every tmpfs inode has a seal set; a file made by open(2) starts with F_SEAL_SEAL (no seal
can be added), a memfd_create(MFD_ALLOW_SEALING) one with none. These functions are the
rules each operation checks; the inode holds the set (TmpfsInode.seals).

- F_SEAL_SHRINK / F_SEAL_GROW: no size change down / up (truncate, write past the end,
  fallocate past the end even with FALLOC_FL_KEEP_SIZE).
- F_SEAL_WRITE: no write(2), no hole punching, no new MAP_SHARED|PROT_WRITE mapping; added
  (by itself or through F_SEAL_EXEC) only while no writable shared mapping exists
  (EBUSY), which the host kernel tells (the
  Sentry mirrors it on the host memfd the tasks map, so mprotect(PROT_WRITE) of a shared
  read-only mapping made after it fails with EACCES there as on Linux).
- F_SEAL_FUTURE_WRITE: as F_SEAL_WRITE for what comes next; mappings already made stay.
- F_SEAL_EXEC: the exec bits can no longer change; added to a file with an exec bit, it
  brings SHRINK, GROW, WRITE and FUTURE_WRITE with it (W^X, Linux 6.3+).
"""

from __future__ import annotations

from sentry.abi.errno import EINVAL, EPERM

F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE = 0x1, 0x2, 0x4, 0x8
F_SEAL_FUTURE_WRITE, F_SEAL_EXEC = 0x10, 0x20
F_ALL_SEALS = 0x3F
ANY_WRITE = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
PAGE = 4096
PROT_WRITE, MAP_SHARED = 2, 1  # MAP_SHARED_VALIDATE (3) has the bit too
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2


def added(seals: int, new: int, mode: int) -> int:
    """The seal set after F_ADD_SEALS(new) on a file of `mode` with `seals` (the caller has
    checked the open mode). EINVAL for unknown bits, EPERM once F_SEAL_SEAL is set."""
    if new & ~F_ALL_SEALS:
        raise EINVAL()
    if seals & F_SEAL_SEAL:
        raise EPERM()
    if new & F_SEAL_EXEC and mode & 0o111:
        new |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
    return seals | new


def writable_bytes(seals: int, off: int, n: int, size: int) -> int:
    """How many of n bytes a write at off may write: EPERM under a write seal (n > 0), and
    under F_SEAL_GROW the page-sized chunks up to the first one that would end past the
    end of the file (EPERM if that is the first chunk), as Linux's write_begin checks them."""
    if n == 0:
        return 0
    if seals & ANY_WRITE:
        raise EPERM()
    if not seals & F_SEAL_GROW or off + n <= size:
        return n
    done = 0
    while done < n:
        chunk = min(PAGE - (off + done) % PAGE, n - done)
        if off + done + chunk > size:
            break
        done += chunk
    if done == 0:
        raise EPERM()
    return done


def check_truncate(seals: int, old: int, new: int) -> None:
    """truncate/ftruncate/O_TRUNC from size old to new."""
    if (new < old and seals & F_SEAL_SHRINK) or (new > old and seals & F_SEAL_GROW):
        raise EPERM()


def check_fallocate(seals: int, mode: int, off: int, length: int, size: int) -> None:
    """fallocate(2) after the mode check: punching needs no write seal; nothing may reach
    past the end of the file under F_SEAL_GROW (FALLOC_FL_KEEP_SIZE or not)."""
    if mode & FALLOC_FL_PUNCH_HOLE:
        if seals & ANY_WRITE:
            raise EPERM()
        return
    if seals & F_SEAL_GROW and off + length > size:
        raise EPERM()


def check_mmap(seals: int, prot: int, flags: int) -> None:
    """mmap(2): no new writable shared mapping under a write seal."""
    if seals & ANY_WRITE and flags & MAP_SHARED and prot & PROT_WRITE:
        raise EPERM()


def check_chmod(seals: int, old_mode: int, new_mode: int) -> None:
    """chmod: F_SEAL_EXEC keeps the three exec bits as they are."""
    if seals & F_SEAL_EXEC and (old_mode ^ new_mode) & 0o111:
        raise EPERM()
