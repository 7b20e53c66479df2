"""The ELF loader: the Sentry loads a guest program into a task itself.

The host only ever execs the stub. `prepare` resolves the program in the Sentry's VFS
(following `#!` interpreter lines, as binfmt_script does), validates the ELF and its
PT_INTERP loader, and fails early with Linux's errno (ENOENT, EACCES, ENOEXEC, ELOOP).
`load` runs with the task stopped in the stub just after its exec (at the exec's
PTRACE_EVENT_EXEC stop, or the first task at its syscall-exit stop): one batch run by the
stub (Batch, native/stub.c) maps the PT_LOAD segments of the program and of its loader
from host fds donated into the task; then the Sentry zeroes bss, sets the program break,
builds the stack (argv, envp, auxv) below the stub's own stack pointer and points rip at
the entry. (The registers are set at the batch's final stop, after the exec has written
its rax.) After an execve on the seccomp platform the stack is built first and the batch
itself clears bss, fills in the loader's base and enters the program: no final stop.
"""

from __future__ import annotations

import array
import itertools
import logging
import os
import struct
from sentry.record import dataclass, field
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import E2BIG, EACCES, ELIBBAD, ELOOP, ENOEXEC, SysError
from sentry.abi.stat import S_ISGID, S_ISUID
from sentry.abi.sysno import SYS_close, SYS_mmap, SYS_mprotect
from sentry.kernel import process
from sentry.kernel.thread_group import MM
from sentry.platform.base import TaskDied
from sentry.platform.filter import DOORBELL
from sentry.platform.native import lib
from sentry.vfs import ops
from sentry.vfs.constants import MS_NOSUID

log = logging.getLogger("sentry")

if TYPE_CHECKING:
    from sentry.kernel.task import Task

PAGE = 4096
O_RDONLY, O_CLOEXEC, O_PATH = 0, 0o2000000, 0o10000000
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH = 0x100, 0x1000
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE = 0x02, 0x10, 0x20, 0x100000
PT_LOAD, PT_INTERP, PT_PHDR = 1, 3, 6
S_IFMT, S_IFREG = 0o170000, 0o100000
S_IXGRP = 0o010
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
BINPRM_BUF_SIZE = 256
MAX_INTERP_DEPTH = 4  # binfmt_script's limit on nested #! interpreters
ST_EXEC_SLOT, ST_INTERP_SLOT = lib.ST_EXEC_SLOT, lib.ST_INTERP_SLOT
PIE_BASE = 0x555555554000  # ELF_ET_DYN_BASE on x86-64 (without randomisation)
PIE_SPAN_MAX = 1 << 44  # an ET_DYN's span that leaves PIE_BASE far below the stub's stack
MAX_STACK_DATA = 120 * 1024  # the stub's stack VMA has >= 128 KiB below its rsp
AUXV_MAX = 64  # auxv entries a new stack holds at most (the host's, ours, AT_NULL)

# auxv keys
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ = 0, 3, 4, 5, 6
AT_BASE, AT_FLAGS, AT_ENTRY = 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_SYSINFO_EHDR = 23, 25, 26, 31, 33
AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN, AT_MINSIGSTKSZ = 27, 28, 51
HOST_AUXV = (AT_HWCAP, AT_HWCAP2, AT_CLKTCK, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ,
             AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN)

_U64_MASK = 0xFFFFFFFFFFFFFFFF  # an argument as the register holds it
_ZEROS = (0,) * 6
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")


def page_down(x: int) -> int:
    return x & ~(PAGE - 1)


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


@dataclass
class Segment:
    vaddr: int
    memsz: int
    offset: int
    filesz: int
    prot: int


@dataclass
class Elf:
    file: Any  # the guest FileDescription
    type: int
    entry: int
    phoff: int
    phnum: int
    segments: list[Segment]
    interp_path: bytes | None
    phdr_vaddr: int | None
    span: tuple[int, int]  # the pages the segments cover: (lowest, end)


@dataclass
class ExecPlan:
    path: bytes  # the filename as execve got it (AT_EXECFN)
    exe_path: bytes  # the resolved guest path of the program (/proc/self/exe)
    argv: list[bytes]
    envp: list[bytes]
    elf: Elf
    interp: Elf | None = None
    extra: dict = field(default_factory=dict)
    setid: tuple[int | None, int | None] | None = None  # the set-id bits' euid, egid


def _parsed_before(f: Any) -> Any:
    """The host inode behind f when its file system is the Sentry's alone (hostfs with
    exclusive file access, whose attributes the Sentry caches too: the file cannot change
    under it), where a parse is kept; else None."""
    return getattr(f, "immutable_inode", None)


def parse_elf(f: Any, head: bytes = b"") -> Elf:
    """Validates an x86-64 ELF executable and reads its program headers (ENOEXEC if not).
    `head`: the file's first bytes if the caller has read them already."""
    inode = _parsed_before(f)
    if inode is not None and inode.elf_headers is not None:
        return Elf(f, *inode.elf_headers)
    if len(head) < _EHDR.size:
        head = f.pread(_EHDR.size, 0)
    if len(head) < _EHDR.size or head[:4] != b"\x7fELF":
        raise ENOEXEC()
    (ident, etype, machine, _v, entry, phoff, _sh, _fl, _eh, phentsize, phnum,
     *_rest) = _EHDR.unpack_from(head)
    if ident[4] != 2 or ident[5] != 1 or machine != EM_X86_64 or etype not in (ET_EXEC, ET_DYN):
        raise ENOEXEC()
    if phentsize != _PHDR.size or not 0 < phnum <= 65536 // _PHDR.size:
        raise ENOEXEC()
    table = f.pread(phentsize * phnum, phoff)
    if len(table) != phentsize * phnum:
        raise ENOEXEC()
    segments, interp, phdr = [], None, None
    for i in range(phnum):
        ptype, flags, off, vaddr, _pa, filesz, memsz, _al = _PHDR.unpack_from(table, i * _PHDR.size)
        if ptype == PT_LOAD:
            if filesz > memsz or (vaddr - off) % PAGE:
                raise ENOEXEC()
            prot = (PROT_READ if flags & 4 else 0) | (PROT_WRITE if flags & 2 else 0) | (
                PROT_EXEC if flags & 1 else 0)
            segments.append(Segment(vaddr, memsz, off, filesz, prot))
        elif ptype == PT_INTERP:
            if not 1 < filesz <= 4096:
                raise ENOEXEC()
            raw = f.pread(filesz, off)
            if len(raw) != filesz or raw[-1:] != b"\0":
                raise ENOEXEC()
            interp = raw[:-1]
        elif ptype == PT_PHDR:
            phdr = vaddr
    if not segments:
        raise ENOEXEC()
    span = (page_down(min(s.vaddr for s in segments)),
            page_up(max(s.vaddr + s.memsz for s in segments)))
    headers = (etype, entry, phoff, phnum, segments, interp, phdr, span)
    if inode is not None:  # (segments are never changed once parsed)
        inode.elf_headers = headers
    return Elf(f, *headers)


def parse_shebang(head: bytes, path: bytes, argv: list[bytes]) -> tuple[bytes, list[bytes]]:
    """binfmt_script: `#!interp [one optional arg]`; the script's path replaces argv[0]."""
    line = head[2:].split(b"\n", 1)[0]
    line = line.replace(b"\t", b" ").strip(b" ")
    if not line:
        raise ENOEXEC()
    interp, _, optarg = line.partition(b" ")
    optarg = optarg.strip(b" ")
    new_argv = [interp] + ([optarg] if optarg else []) + [path] + argv[1:]
    return interp, new_argv


def prepare(t: Task, path: bytes, argv: list[bytes], envp: list[bytes],
            dirfd: int = AT_FDCWD, at_flags: int = 0) -> ExecPlan:
    """Resolves and validates a program for execve; raises the errno execve would return.

    `dirfd` and `at_flags` (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW) are execveat's.
    """
    execfn = path
    for depth in range(MAX_INTERP_DEPTH + 1):
        vd = ops.lookup(t, dirfd if depth == 0 else AT_FDCWD, path,
                        depth > 0 or not at_flags & AT_SYMLINK_NOFOLLOW,
                        at_flags & AT_EMPTY_PATH if depth == 0 else 0)
        st = vd.dentry.inode.stat()
        if st.mode & S_IFMT != S_IFREG:
            raise EACCES()  # execve(2): not a regular file (checked before any open)
        f = ops.open_vd(t, vd, O_RDONLY | O_CLOEXEC)
        try:
            f.check_exec(t.creds)
            inode = _parsed_before(f)
            if inode is not None and inode.elf_headers is not None:  # an ELF, not a #!
                elf = parse_elf(f)
            else:
                head = f.pread(BINPRM_BUF_SIZE, 0)
                if head[:2] == b"#!":
                    path, argv = parse_shebang(head, path, argv)
                    release(f)
                    continue
                elf = parse_elf(f, head)
        except BaseException:
            release(f)
            raise
        plan = ExecPlan(execfn, f.guest_path(), argv, envp, elf)
        plan.setid = _setid(t, st, vd)
        if elf.interp_path is not None:
            try:
                fi = ops.open_at(t, AT_FDCWD, elf.interp_path, O_RDONLY | O_CLOEXEC, 0)
            except SysError as e:
                release(f)
                raise e.__class__(f"loader {elf.interp_path!r}") from None
            try:
                plan.interp = parse_elf(fi)
                if plan.interp.interp_path is not None:
                    raise ELIBBAD()
            except BaseException:
                release(f)
                release(fi)
                raise
        return plan
    raise ELOOP()


def _setid(t: Task, st: Any, vd: Any) -> tuple[int | None, int | None] | None:
    """bprm_fill_uid: the effective ids a set-user-ID or set-group-ID (with group execute)
    program gives, unless its mount is nosuid or the caller set no_new_privs."""
    if not st.mode & (S_ISUID | S_ISGID) or vd.mount.flags & MS_NOSUID \
            or t.prctl.get("no_new_privs"):
        return None
    euid = st.uid if st.mode & S_ISUID else None
    egid = st.gid if st.mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP else None
    return None if euid is None and egid is None else (euid, egid)


def exec_creds(t: Task, setid: tuple[int | None, int | None] | None) -> bool:
    """The credentials execve gives (cap_bprm_creds_from_file, no file capabilities) and
    the process's dumpability after; returns AT_SECURE (secureexec)."""
    c = t.creds
    old = (c.euid, c.egid, c.fsuid, c.fsgid, c.permitted)
    old_uid, old_gid = c.uid, c.gid
    if setid is not None:
        c.euid = c.euid if setid[0] is None else setid[0]
        c.egid = c.egid if setid[1] is None else setid[1]
    is_setid = c.euid != old_uid or c.egid != old_gid
    if is_setid:
        c.ambient = 0  # set-id cancels ambient capabilities
    c.on_exec()
    changed = (c.euid, c.egid, c.fsuid, c.fsgid) != old[:4] or c.permitted & ~old[4]
    t.tg.dumpable = 0 if changed else 1  # fs.suid_dumpable 0, else SUID_DUMP_USER
    return is_setid or (c.uid != 0 and bool((c.permitted | c.effective) & ~c.ambient))


def release(f: Any) -> None:
    """Drops a description the loader opened but never installed in an fd table."""
    if f.refs == 0:
        f.release()


def release_plan(plan: ExecPlan) -> None:
    release(plan.elf.file)
    if plan.interp is not None:
        release(plan.interp.file)


class Batch:
    """The host calls of one load, run by the stub's batch runner (native/stub.c) with no
    ptrace stop per call: rows of {nr, flags, six args}. Flag bit i makes argument i
    relative to the base, the result of the last row with SET_BASE (an ELF's reservation),
    since where the kernel puts it is known only when it runs."""

    SET_BASE = 0x40
    STORE, ZERO, ENTER = 1000, 1001, 1002  # the stub's own rows (native/stub.c)
    ROW = struct.Struct("<qQ6Q")

    def __init__(self) -> None:
        self.rows: list[bytes] = []  # each packed as it is added (ROW)
        self.donations: list[tuple[int, int]] = []  # (host fd, task slot), by one doorbell

    def add(self, nr: int, *args: int, rel: int = 0) -> int:
        """Appends a call; `rel` holds the flag bits. Returns its row number."""
        self.rows.append(self.ROW.pack(nr, rel, *map(_U64_MASK.__and__, args),
                                       *_ZEROS[len(args):]))
        return len(self.rows) - 1

    def donate(self, host_fd: int, slot: int) -> None:
        """host_fd onto a slot of the task, replacing what it held. Every donation is
        made by the batch's first row, one doorbell: donate before adding rows."""
        if not self.donations:
            if self.rows:
                raise RuntimeError("Batch.donate after the first row")
            self.add(DOORBELL)
        self.donations.append((host_fd, slot))

    def table(self) -> bytes:
        return b"".join(self.rows) + _END_ROW

    def run(self, t: Task, rsp: int) -> list[int]:
        """Runs the batch in the stopped stub below its stack pointer; returns the results
        (of the rows that ran). OSError for the first failed call."""
        table = self.table()
        addr = (rsp - 256 - len(table)) & ~63
        if rsp - addr > MAX_STACK_DATA:
            raise OSError(E2BIG.errno, "too many segments for the stub's batch")
        t.mem.write(addr, table)
        t.kernel.platform.run_batch(t.ctx, addr, 0, self.donations)
        back = t.mem.read(addr, len(table) - self.ROW.size)
        out = []
        for i, row in enumerate(self.rows):
            r = self.ROW.unpack_from(back, i * self.ROW.size)[0]
            if -4096 < r < 0:
                nr = self.ROW.unpack(row)[0]
                raise OSError(-r, f"batched syscall {nr} failed: {os.strerror(-r)}")
            out.append(r)
        return out

    def run_entering(self, t: Task, rsp: int, below: int) -> None:
        """Runs a batch that ends by entering the program (an ENTER row): its table goes
        below `below` (the program's stack pointer), and the task runs on from there."""
        table = self.table()
        addr = (below - 64 - len(table)) & ~63
        if rsp - addr > MAX_STACK_DATA + 7 * 1024:  # the stub's stack VMA: 128 KiB below rsp
            raise OSError(E2BIG.errno, "too many segments for the stub's batch")
        t.mem.write(addr, table)
        t.kernel.platform.run_batch(t.ctx, addr, 0, self.donations, enter=True)


_END_ROW = Batch.ROW.pack(-1, 0, 0, 0, 0, 0, 0, 0)


@dataclass
class Placement:
    """Where map_elf's rows put an ELF, once the batch has run."""

    elf: Elf
    base_row: int | None  # the reservation's row (ET_DYN), whose result is the base
    tails: list[tuple[int, int, int]]  # (unbiased address, length, prot): partial bss pages

    def bias(self, results: list[int]) -> int:
        return 0 if self.base_row is None else results[self.base_row] - self.elf.span[0]


def map_elf(batch: Batch, elf: Elf, hint: int, fd: int, exact: bool = False) -> Placement:
    """Adds the rows that map an ELF's PT_LOAD segments from a batch slot.

    An ET_DYN's first mapping reserves its whole span (binfmt_elf's total_mapping_size);
    a segment whose file offset keeps the same distance to its address lies in that file
    mapping already and only needs its protection (mprotect, an allow-lane call), so a
    typical ld.so takes one file mmap, not four. Other segments are mapped MAP_FIXED.
    `fd` is the task's fd (a batch slot) for the file. With `exact` an ET_DYN's
    reservation is at `hint` or fails (MAP_FIXED_NOREPLACE). The rows depend on these
    alone: they are kept beside a kept parse (_parsed_before) and added again."""
    inode = _parsed_before(elf.file)
    key = (hint, fd, exact)
    if inode is not None and key in inode.elf_rows:
        rows, base_off, tails = inode.elf_rows[key]
        start = len(batch.rows)
        batch.rows.extend(rows)
        return Placement(elf, None if base_off is None else start + base_off, tails)
    start = len(batch.rows)
    placed = _map_elf(batch, elf, hint, fd, exact)
    if inode is not None:
        inode.elf_rows[key] = (batch.rows[start:], None if placed.base_row is None
                               else placed.base_row - start, placed.tails)
    return placed


def _map_elf(batch: Batch, elf: Elf, hint: int, fd: int, exact: bool) -> Placement:
    lo, hi = elf.span
    dyn = elf.type == ET_DYN
    rel = 1 if dyn else 0  # the address argument is relative to the base
    noreplace = MAP_FIXED_NOREPLACE if exact else 0

    def at(x: int) -> int:
        return x - lo if dyn else x

    first = cover = base_row = None
    if dyn and _no_holes(elf):
        first = elf.segments[0]
        base_row = batch.add(SYS_mmap, hint, hi - lo, first.prot, MAP_PRIVATE | noreplace, fd,
                             first.offset - (first.vaddr - lo), rel=Batch.SET_BASE)
        cover = first.vaddr - first.offset
    elif dyn:  # an anonymous reservation: holes stay PROT_NONE
        base_row = batch.add(SYS_mmap, hint, hi - lo, 0,
                             MAP_PRIVATE | MAP_ANONYMOUS | noreplace, -1, 0, rel=Batch.SET_BASE)
    anon: list[tuple[int, int]] = []
    tails = []
    for s in elf.segments:
        map_start = page_down(s.vaddr)
        file_end = s.vaddr + s.filesz
        mem_end = page_up(s.vaddr + s.memsz)
        anon_start = map_start
        if s.filesz:
            anon_start = page_up(file_end)
            if s is first:
                pass
            elif cover == s.vaddr - s.offset and not any(
                    a < anon_start and map_start < b for a, b in anon):
                batch.add(SYS_mprotect, at(map_start), anon_start - map_start, s.prot, rel=rel)
            else:
                batch.add(SYS_mmap, at(map_start), anon_start - map_start, s.prot,
                          MAP_PRIVATE | MAP_FIXED, fd, s.offset - (s.vaddr - map_start), rel=rel)
            if s.memsz > s.filesz and anon_start > file_end:
                tails.append((file_end, anon_start - file_end, s.prot))  # partial bss page
        if mem_end > anon_start:
            batch.add(SYS_mmap, at(anon_start), mem_end - anon_start, s.prot,
                      MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0, rel=rel)
            anon.append((anon_start, mem_end))
    return Placement(elf, base_row, tails)


def _no_holes(elf: Elf) -> bool:
    """Whether the segments (in address order, the first with file contents at the span's
    start) cover every page of the span, so that one file mapping can reserve it."""
    segs = elf.segments
    lo, hi = elf.span
    if not segs or not segs[0].filesz or page_down(segs[0].vaddr) != lo:
        return False
    if any(b.vaddr < a.vaddr for a, b in itertools.pairwise(segs)):
        return False
    end = lo
    for seg in segs:
        if page_down(seg.vaddr) > end:
            return False
        end = max(end, page_up(seg.vaddr + seg.memsz))
    return end == hi


def _read_stub_auxv(t: Task, rsp: int) -> dict[int, int]:
    """The host's auxv for the stub: vDSO address, hwcaps and the like come from it.

    The stack is read in a few pieces (up to 1 KiB, then to the end of its page, then
    whole pages: all of it is the stack's), not a word at a time, and parsed whole."""
    buf = t.mem.read(rsp, min(1024, PAGE - (rsp & (PAGE - 1))))
    while True:
        words = memoryview(buf)[:len(buf) & ~7].cast("Q").tolist()  # (x86-64: little-endian)
        try:
            i = words.index(0, words[0] + 1) + 1  # argc, argv[], NULL
            i = words.index(0, i) + 1  # envp[], NULL
            keys = words[i::2]
            n = keys.index(AT_NULL)
            return dict(zip(keys[:n], words[i + 1:i + 2 * n:2], strict=True))
        except (IndexError, ValueError):  # runs past what was read: read on
            end = rsp + len(buf)
            buf += t.mem.read(end, PAGE - (end & (PAGE - 1)))


def stack_need(plan: ExecPlan) -> int:
    """At least what build_stack writes below its `top` for `plan` (with up to AUXV_MAX
    auxv entries): its strings, AT_RANDOM's bytes, the pointer arrays, the alignment."""
    strings = (len(plan.path) + sum(map(len, plan.argv)) + sum(map(len, plan.envp))
               + len(plan.argv) + len(plan.envp) + len(b"x86_64") + 2 + 16)
    return strings + 8 * (len(plan.argv) + len(plan.envp) + 3 + 2 * AUXV_MAX) + 32


def build_stack(t: Task, plan: ExecPlan, top: int, aux: dict[int, int],
                slot: int = AT_NULL, room: int = MAX_STACK_DATA) -> tuple[int, int]:
    """Writes argv, envp, auxv and their strings below `top`, within `room` bytes of it;
    returns the new rsp and the address of the value of auxv entry `slot` (0 if none)."""
    # The strings back to back (execfn, argv, envp, the platform), then AT_RANDOM's bytes.
    items = [plan.path, *plan.argv, *plan.envp, b"x86_64"]
    strings = b"\0".join(items) + b"\0" + os.urandom(16)
    str_base = (top - len(strings)) & ~15
    # each item's address: str_base, then past each item and its NUL
    addrs = list(itertools.accumulate(map((1).__add__, map(len, items)), initial=str_base))
    nargs = len(plan.argv)
    keys = [*aux, AT_PLATFORM, AT_RANDOM, AT_EXECFN, AT_NULL]
    vals = [*aux.values(), addrs[-2], addrs[-1], addrs[0], 0]
    words = array.array("Q", [nargs, *addrs[1:1 + nargs], 0, *addrs[1 + nargs:-2], 0])
    at = len(words) + 2 * keys.index(slot) + 1 if slot in keys else 0
    pairs = [0] * (2 * len(keys))
    pairs[::2], pairs[1::2] = keys, vals
    words.extend(pairs)
    sp = (str_base - 8 * len(words)) & ~15
    if top - sp > room:
        raise E2BIG()
    pad = str_base - (sp + 8 * len(words))
    t.mem.write(sp, b"".join((words.tobytes(), bytes(pad), strings)))
    return sp, sp + 8 * at if at else 0


def load(t: Task, plan: ExecPlan, enter: bool = False) -> bool:
    """Loads `plan` into the task stopped in the stub after its exec. With `enter`, where
    the layout allows it (_enters_directly), the batch itself enters the program and the
    task runs on: True. Else its registers are set and it stays stopped: False."""
    try:
        return _load(t, plan, enter and _enters_directly(t, plan)
                     and stack_need(plan) <= MAX_STACK_DATA)
    finally:
        release_plan(plan)


def _tails_writable(elf: Elf) -> bool:
    """Whether every partial bss page of the ELF (map_elf's tails) is writable."""
    return all(s.prot & PROT_WRITE for s in elf.segments
               if s.filesz and s.memsz > s.filesz
               and page_up(s.vaddr + s.filesz) > s.vaddr + s.filesz)


def _enters_directly(t: Task, plan: ExecPlan) -> bool:
    """Whether every address the new stack and registers hold is known, or is the loader's
    base, before the batch runs, so that its last rows fill them in and enter the program
    with no stop at its end: on the seccomp platform (ptrace's resumes its tasks its own
    way), with the program at a fixed place (ET_EXEC, or an ET_DYN at PIE_BASE, far below
    the stub's stack and vDSO) and every partial bss page writable (the stub clears it)."""
    elf = plan.elf
    if not t.kernel.platform.in_place or (
            elf.type == ET_DYN and elf.span[1] - elf.span[0] > PIE_SPAN_MAX):
        return False
    return _tails_writable(elf) and (plan.interp is None or _tails_writable(plan.interp))


def _load(t: Task, plan: ExecPlan, direct: bool) -> bool:
    p = t.kernel.platform
    regs = p.getregs(t.ctx)
    vfs = t.fs.root.mount.vfs
    elf = plan.elf
    need = stack_need(plan)
    try:
        stub_aux = _read_stub_auxv(t, regs.rsp)
        batch = Batch()
        placed = []
        for e, hint, slot in ((elf, PIE_BASE, ST_EXEC_SLOT), (plan.interp, 0, ST_INTERP_SLOT)):
            if e is None:
                continue
            host_fd = e.file.mmap_fd(PROT_READ | PROT_EXEC, MAP_PRIVATE)
            vfs.map_names.note(host_fd, e.file)  # for /proc/<pid>/maps
            batch.donate(host_fd, slot)
            pl = map_elf(batch, e, hint, slot, exact=direct and e is elf)
            placed.append(pl)
            for addr, n, _prot in pl.tails if direct else ():  # r12 is its base here
                if pl.base_row is None:
                    batch.add(Batch.ZERO, addr, n)
                else:
                    batch.add(Batch.ZERO, addr - e.span[0], n, rel=1)
        for _fd, slot in batch.donations:  # the slots are empty again before the guest runs
            batch.add(SYS_close, slot)
        if direct:
            # Known: the program's place (exact); the loader's base only in the batch.
            bias = PIE_BASE - elf.span[0] if elf.type == ET_DYN else 0
            ibias = 0 if plan.interp is not None and placed[1].base_row is None else None
        else:
            if need > MAX_STACK_DATA:
                # Arguments beyond the stub's stack room (Linux takes up to a quarter of
                # RLIMIT_STACK): the stub writes to the lowest page they need, and the
                # host grows its stack down to it, as for any fault of its own (a write
                # of the Sentry's, process_vm_writev, grows no stack).
                batch.add(Batch.ZERO, (regs.rsp - 256 - need) & ~(PAGE - 1), 8)
            results = batch.run(t, regs.rsp)
            for pl in placed:
                b = pl.bias(results)
                for addr, n, prot in pl.tails:
                    # A writable page takes process_vm_writev; else /proc/<pid>/mem.
                    if not (prot & PROT_WRITE
                            and t.mem.backend.write_raw(b + addr, bytes(n)) == n):
                        t.mem.backend.poke(b + addr, bytes(n))
            bias = placed[0].bias(results)
            ibias = placed[1].bias(results) if plan.interp is not None else None
        end = bias + elf.span[1]
        entry = start = elf.entry + bias
        base = 0
        if plan.interp is not None and ibias is not None:
            base = ibias + plan.interp.span[0]
            start = plan.interp.entry + ibias
    except OSError as e:
        # The task is half-built: it cannot return to the stub. Kill it (exit 128+SIGKILL).
        log.error("exec of %r failed while loading: %s", plan.exe_path, e)
        os.kill(t.host_tid, 9)
        raise TaskDied(9) from None
    phdr = elf.phdr_vaddr if elf.phdr_vaddr is not None else (
        min(s.vaddr - s.offset for s in elf.segments) + elf.phoff)
    secure = exec_creds(t, plan.setid)
    c = t.creds
    aux = {k: stub_aux[k] for k in HOST_AUXV if k in stub_aux}
    aux.update({AT_PHDR: phdr + bias, AT_PHENT: _PHDR.size, AT_PHNUM: elf.phnum,
                AT_PAGESZ: PAGE, AT_BASE: base, AT_FLAGS: 0, AT_ENTRY: entry, AT_UID: c.uid,
                AT_EUID: c.euid, AT_GID: c.gid, AT_EGID: c.egid, AT_SECURE: int(secure)})
    try:
        sp, base_at = build_stack(t, plan, regs.rsp - 256, aux, slot=AT_BASE,
                                  room=max(need, MAX_STACK_DATA))
    except SysError:
        os.kill(t.host_tid, 9)
        raise TaskDied(9) from None
    # A new address space: after vfork the old MM is still the parent's.
    process.drop_mm(t.kernel, t.tg, t.tg.mm)
    t.tg.mm = MM(page_up(end), page_up(end))
    t.tg.exe_path = plan.exe_path
    t.comm = plan.path.rsplit(b"/", 1)[-1][:15]
    t.tg.cmdline = b"\0".join(plan.argv) + b"\0" if plan.argv else b""
    t.tg.environ = b"\0".join(plan.envp) + b"\0" if plan.envp else b""
    if direct:
        interp = plan.interp
        if interp is not None and ibias is None:  # AT_BASE and the entry: the loader's base
            batch.add(Batch.STORE, base_at, 0, rel=2)
            batch.add(Batch.ENTER, sp, interp.entry - interp.span[0], rel=2)
        else:
            batch.add(Batch.ENTER, sp, start)
        try:
            batch.run_entering(t, regs.rsp, sp)
        except OSError as e:
            log.error("exec of %r failed while loading: %s", plan.exe_path, e)
            os.kill(t.host_tid, 9)
            raise TaskDied(9) from None
        return True
    for name in ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax",
                 "rcx", "rdx", "rsi", "rdi", "fs_base", "gs_base", "ds", "es", "fs", "gs"):
        setattr(regs, name, 0)
    regs.orig_rax = (1 << 64) - 1
    regs.rip = start
    regs.rsp = sp
    p.setregs(t.ctx, regs)
    return False
