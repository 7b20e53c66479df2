"""File mappings and the program break: calls that act on the task's address space.

Anonymous mmap, munmap, mprotect … are host calls (the allow-list). What reaches here needs
the task stopped (TRACE lane): a file mapping donates the Sentry's host fd for the file into
the task's donation slot (Platform.donate: once for a run of maps of one file), and brk
is emulated with anonymous mappings above the break the loader set (the host's own brk
belongs to the stub). On the seccomp platform a file mapping by an fd in the filter's
MIRROR_FDS comes as a notification instead: the Sentry puts its host fd for the file on
the task's fd of that number (unless it is there already) and the host runs the call as
issued (no stop).
"""

from __future__ import annotations

from sentry.abi.errno import BY_NUMBER, EINVAL, ENOMEM, SysError
from sentry.abi.sysno import SYS_mmap, SYS_munmap
from sentry.kernel.args import Args
from sentry.kernel.kernel import DETACHED, HOST
from sentry.kernel.task import Task
from sentry.platform.base import CONTINUING_WITH_FD, DONATING, ST_AT_ENTRY
from sentry.platform.filter import MIRROR_FDS
from sentry.platform.native import lib
from sentry.vfs.fsimpl.host.readonly import shared_map_fd

PAGE = 4096
PROT_READ, PROT_WRITE = 1, 2
MAP_SHARED, MAP_PRIVATE, MAP_TYPE = 0x01, 0x02, 0x0F
MAP_FIXED, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE = 0x10, 0x20, 0x100000
MAP_SHARED_VALIDATE = 0x03
TASK_SIZE = 0x7FFFFFFFF000
RLIMIT_DATA = 2


def _page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


def _check(r: int) -> int:
    if -4096 < r < 0:
        raise BY_NUMBER[-r]()
    return r


def _inject(t: Task, nr: int, *args: int) -> int:
    return _check(t.kernel.platform.inject(t.ctx, nr, *args))


def sys_mmap(t: Task, a: Args) -> int:
    """Implements mmap(2) of files (anonymous mappings run on the host)."""
    addr, length, prot, flags = a.ptr(0), a.size(1), a.int(2), a.int(3)
    fd, off = a.int(4), a.long(5)
    if flags & MAP_ANONYMOUS:
        # Both platforms run anonymous maps on the host before dispatch (allow-list).
        return _inject(t, SYS_mmap, addr, length, prot, flags, -1, off)
    if length == 0 or off & (PAGE - 1) or off < 0 or _page_up(length) > TASK_SIZE:
        raise EINVAL()
    if flags & MAP_TYPE not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
        raise EINVAL()
    f = t.fds.get(fd)
    if getattr(f, "mmap_anonymous", False):  # /dev/zero: an anonymous mapping, as Linux does
        return _inject(t, SYS_mmap, addr, length, prot, flags | MAP_ANONYMOUS, -1, 0)
    if off % getattr(f, "map_align", PAGE):  # hugetlbfs: whole huge pages
        raise EINVAL()
    host_fd = f.mmap_fd(prot, flags)
    if flags & MAP_TYPE != MAP_PRIVATE and not f.writable:
        host_fd = shared_map_fd(f, host_fd)  # never mprotect()able writable on the host
    k = t.kernel
    p = k.platform
    if p.in_place and MIRROR_FDS[0] <= fd <= MIRROR_FDS[1] and t.ctx.where != ST_AT_ENTRY:
        return _map_by_number(t, f, host_fd, fd)
    # (Not under --strace or --report, which show each call once with its result.)
    in_place = (t.ctx.where == ST_AT_ENTRY and p.can_run_in_place(t.ctx)
                and not (k.strace or k.report))
    names = t.fs.root.mount.vfs.map_names
    if host_fd in p.unnamed:  # donated with an answer (zero_donating): named now
        p.unnamed.discard(host_fd)
        names.note(host_fd, f)
    task_fd = _check(p.donate(  # noted for /proc/<pid>/maps when donated
        t.ctx, host_fd, lambda: names.note(host_fd, f)))
    if in_place and p.can_run_in_place(t.ctx):
        # No exit stop: the call runs as issued but on the donated fd (seccomp platform).
        if t.ctx.where == ST_AT_ENTRY:
            p.run_in_place_r8(t.ctx, task_fd)
        else:  # the donation took the call's place: the task makes it again, and it traps
            p.retrap(t.ctx)  # again, now finding the file in the slot
        return DETACHED
    return _inject(t, SYS_mmap, addr, length, prot, flags, task_fd, off)


def _map_by_number(t: Task, f, host_fd: int, fd: int) -> int:
    """A notified file mmap (the filter's MIRROR_FDS): the host runs it as issued, on the
    task's host fd `fd`, once that holds host_fd (kcmp says whether it does already: the
    fds a task's host table holds are the Sentry's doing, and a fork copies them; exec
    closes them). The guest cannot reach the host's fd table: every fd call is the
    Sentry's, so what a host fd of the guest's number held before is never seen."""
    if lib.st_slot_holds(t.host_tid, host_fd, fd) == 1:
        return HOST
    t.fs.root.mount.vfs.map_names.note(host_fd, f)  # for /proc/<pid>/maps
    t.ctx.answer_fd, t.ctx.answer_at = host_fd, fd
    return CONTINUING_WITH_FD


def zero_donating(t: Task, f, fd: int) -> int:
    """The result 0 of a call that looked at open file f (fstat), answered so that f's
    host fd lands in the task's donation slot when f can be mapped (seccomp platform):
    ld.so and most programs fstat a file right before they map it, and the mmap then
    finds it there (no donation of its own: two stops and a notification fewer). Only
    files of the read-only root's lower layer (HostFile.immutable_inode): the slot keeps
    its file until the next donation, and a tmpfs file's pages, say, must not stay
    charged to the workload after it deleted the file. Not for an fd in MIRROR_FDS, whose
    mmap comes as a notification and never looks in the slot."""
    k = t.kernel
    if getattr(f, "immutable_inode", None) is None or not k.platform.in_place or (
            k.strace or k.report) or MIRROR_FDS[0] <= fd <= MIRROR_FDS[1]:
        return 0
    try:
        t.ctx.answer_fd = f.mmap_fd(PROT_READ, MAP_PRIVATE)
    except SysError:
        return 0
    return DONATING


def sys_brk(t: Task, a: Args) -> int:
    """Implements brk(2): grows or shrinks the break with anonymous host mappings.

    Differences: the break starts right after the program's last segment (no randomisation).
    """
    mm, want = t.tg.mm, a.ptr(0)
    if want < mm.brk_start or want == 0:  # a query (brk(0) comes as a notification)
        return mm.brk
    old_top, new_top = _page_up(mm.brk), _page_up(want)
    soft = t.tg.rlimits[RLIMIT_DATA][0]
    if want - mm.brk_start > soft:
        return mm.brk
    if new_top > old_top:
        try:
            got = _inject(t, SYS_mmap, old_top, new_top - old_top, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
        except (ENOMEM, BY_NUMBER[17]):  # ENOMEM, EEXIST: something is mapped there
            return mm.brk
        if got != old_top:
            _inject(t, SYS_munmap, got, new_top - old_top)
            return mm.brk
    elif new_top < old_top:
        _inject(t, SYS_munmap, new_top, old_top - new_top)
    mm.brk = want
    return want
