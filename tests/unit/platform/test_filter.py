"""The allow-list, the syscall table and the two BPF filters agree with each other."""

from __future__ import annotations

from sentry.abi.sysno import NAMES, NUMBERS
from sentry.platform import filter as bpf
from sentry.platform.allowlist import ALLOW, MAP_ANONYMOUS, is_allowed
from sentry.syscalls.table import TABLE, check_names, resolve


def test_table_names_match_kernel_numbers_and_handlers_resolve() -> None:
    check_names()
    for e in TABLE.values():
        assert callable(resolve(e)), e


def test_every_allowed_entry_has_a_reason() -> None:
    for nr, e in ALLOW.items():
        assert NAMES[nr] == e.name and len(e.reason) > 10


def test_table_and_allow_list_overlap_only_under_a_condition() -> None:
    for nr in set(TABLE) & set(ALLOW):
        assert ALLOW[nr].cond is not None, NAMES[nr]


def test_nothing_that_names_a_resource_is_allowed() -> None:
    for name in ("openat", "read", "write", "kill", "tgkill", "socket", "execve", "clone",
                 "ptrace", "process_vm_writev", "mount", "seccomp", "prctl", "ioctl"):
        assert NUMBERS[name] not in ALLOW, name


def test_lanes() -> None:
    mmap = NUMBERS["mmap"]
    assert bpf.lane_of(mmap, (0, 4096, 3, MAP_ANONYMOUS | 2, -1, 0)) == "allow"
    assert bpf.lane_of(mmap, (0, 4096, 1, 2, 3, 0)) == "notify"  # by the guest's fd number
    for fd in (0, 2, 1024, (1 << 32) | 3, (1 << 64) - 1):  # the slots, 2, out of range
        assert bpf.lane_of(mmap, (0, 4096, 1, 2, fd, 0)) == "trace"
    assert bpf.lane_of(NUMBERS["getpid"], (0,) * 6) == "notify"
    assert bpf.lane_of(NUMBERS["execve"], (0,) * 6) == "trace"
    assert bpf.lane_of(NUMBERS["brk"], (0x1000,) + (0,) * 5) == "trace"
    assert bpf.lane_of(NUMBERS["brk"], (0,) * 6) == "notify"  # a query: no stop
    assert bpf.lane_of(1000, (0,) * 6) == "notify"  # unknown: the Sentry answers ENOSYS
    # The waits with a temporary signal mask stop (sentry/kernel/sigmask.py), only with one.
    for name, index in (("ppoll", 3), ("pselect6", 5), ("epoll_pwait", 4), ("epoll_pwait2", 4)):
        args = [0x1000] * 6
        assert bpf.lane_of(NUMBERS[name], args) == "trace"
        args[index] = 0
        assert bpf.lane_of(NUMBERS[name], args) == "notify"
    cg = NUMBERS["clock_gettime"]
    assert is_allowed(cg, (1, 0, 0, 0, 0, 0))
    # A negative clock id names another process's CPU clock: the Sentry decides.
    assert not is_allowed(cg, ((1 << 64) - 6, 0, 0, 0, 0, 0))


def test_filters_export_and_kill_other_abis() -> None:
    for f in (bpf.seccomp_filter(), bpf.ptrace_filter()):
        code = bpf.export_bpf(f)
        assert len(code) % 8 == 0 and 0 < len(code) // 8 < 4096
        assert "action KILL_PROCESS;" in bpf.export_pfc(f)
    assert "TRACE" in bpf.export_pfc(bpf.ptrace_filter())


def _run_bpf(code: bytes, nr: int, args: list[int]) -> int:
    """Interprets classic BPF as libseccomp emits it (loads, ALU AND, jumps, RET) on an
    x86-64 seccomp_data; returns the action."""
    import struct

    data = struct.pack("<iIQ6Q", nr, 0xC000003E, 0x1000, *(args + [0] * 6)[:6])
    ins = [struct.unpack_from("<HBBI", code, i) for i in range(0, len(code), 8)]
    pc = acc = x = 0
    mem = [0] * 16
    while True:
        op, jt, jf, k = ins[pc]
        pc += 1
        if op == 0x20:  # ld [k]
            acc = struct.unpack_from("<I", data, k)[0]
        elif op == 0x00:  # ld #k
            acc = k
        elif op == 0x60:  # ld M[k]
            acc = mem[k]
        elif op == 0x02:  # st M[k]
            mem[k] = acc
        elif op == 0x54:  # and #k
            acc &= k
        elif op == 0x07:  # tax
            x = acc
        elif op == 0x87:  # txa
            acc = x
        elif op == 0x05:  # ja
            pc += k
        elif op in (0x15, 0x25, 0x35, 0x45):  # jeq, jgt, jge, jset #k
            hit = {0x15: acc == k, 0x25: acc > k, 0x35: acc >= k, 0x45: bool(acc & k)}[op]
            pc += jt if hit else jf
        elif op == 0x06:  # ret #k
            return k
        else:
            raise AssertionError(f"BPF op {op:#x}")


def test_file_mmap_notifies_by_the_guests_fd_numbers_only() -> None:
    code = bpf.export_bpf(bpf.seccomp_filter())
    mmap, notify, trace = NUMBERS["mmap"], 0x7FC00000, 0x7FF00000
    lo, hi = bpf.MIRROR_FDS
    for fd in (lo, lo + 1, hi):
        assert _run_bpf(code, mmap, [0, 4096, 1, 2, fd, 0]) == notify, fd
    for fd in (0, 1, 2, hi + 1, (1 << 32) | lo, (1 << 64) - 1):
        assert _run_bpf(code, mmap, [0, 4096, 1, 2, fd, 0]) & 0xFFFF0000 == trace, fd
    assert _run_bpf(code, mmap, [0, 4096, 1, 0x22, lo, 0]) == 0x7FFF0000  # anonymous


def test_a_shared_writable_file_mmap_always_stops() -> None:
    """A notified mmap runs on whatever file its number holds when the host runs it: a
    racing thread must not be able to make it a shared writable map of another file."""
    code = bpf.export_bpf(bpf.seccomp_filter())
    mmap, notify, trace = NUMBERS["mmap"], 0x7FC00000, 0x7FF00000
    lo = bpf.MIRROR_FDS[0]
    for prot, flags in ((3, 1), (2, 1), (7, 1), (3, 3)):  # MAP_SHARED, MAP_SHARED_VALIDATE
        args = [0, 4096, prot, flags, lo, 0]
        assert _run_bpf(code, mmap, args) & 0xFFFF0000 == trace, (prot, flags)
        assert bpf.lane_of(mmap, args) == "trace"
    for prot, flags in ((1, 1), (5, 1), (3, 2), (7, 2)):  # read-only shared, any private
        args = [0, 4096, prot, flags, lo, 0]
        assert _run_bpf(code, mmap, args) == notify, (prot, flags)
        assert bpf.lane_of(mmap, args) == "notify"
    assert _run_bpf(code, mmap, [0, 4096, 3, 0x21, lo, 0]) == 0x7FFF0000  # anonymous shared


def test_clone_notifies_unless_it_needs_a_stop() -> None:
    code = bpf.export_bpf(bpf.seccomp_filter())
    clone, notify, trace = NUMBERS["clone"], 0x7FC00000, 0x7FF00000
    fork_flags = 0x1200011  # glibc's fork: CHILD_SETTID | CHILD_CLEARTID | SIGCHLD
    thread_flags = 0x3D0F00  # pthread_create's clone (no CLONE_VFORK)
    for flags in (fork_flags, thread_flags, fork_flags | 0x20000):  # and a CLONE_NEWNS
        assert _run_bpf(code, clone, [flags, 0, 0, 0, 0, 0]) == notify, hex(flags)
        assert bpf.lane_of(clone, (flags, 0, 0, 0, 0, 0)) == "notify"
    for bit in (0x1000, 0x2000, 0x4000, 0x800000):  # PIDFD, PTRACE, VFORK, UNTRACED
        assert _run_bpf(code, clone, [fork_flags | bit, 0, 0, 0, 0, 0]) & 0xFFFF0000 == trace
        assert bpf.lane_of(clone, (fork_flags | bit, 0, 0, 0, 0, 0)) == "trace"
    assert _run_bpf(code, NUMBERS["clone3"], [0x1000, 88, 0, 0, 0, 0]) & 0xFFFF0000 == trace


def _run_prefix(code: bytes, nr: int, arch: int, ip: int, args: list[int]) -> str:
    """Interprets the batch prefix (loads, JEQ, RET): "allow", or "filter" when it falls
    through to the filter proper."""
    import struct

    data = struct.pack("<iIQ6Q", nr, arch, ip, *(args + [0] * 6)[:6])
    ins = [struct.unpack_from("<HBBI", code, i) for i in range(0, len(code), 8)]
    pc = acc = 0
    while pc < len(ins):
        op, jt, jf, k = ins[pc]
        if op == 0x20:
            acc = struct.unpack_from("<I", data, k)[0]
        elif op == 0x15:
            pc += jt if acc == k else jf
        else:
            assert op == 0x06 and k == 0x7FFF0000
            return "allow"
        pc += 1
    return "filter"


def test_batch_prefix_allows_only_the_batch_slots_from_the_batch_instruction() -> None:
    from sentry.abi.sysno import NUMBERS
    from sentry.platform.filter import batch_prefix

    ip, x86 = 0x11092, 0xC000003E
    code = batch_prefix(ip, (3, 4))
    mmap, close = NUMBERS["mmap"], NUMBERS["close"]
    assert _run_prefix(code, mmap, x86, ip, [0, 4096, 1, 2, 3, 0]) == "allow"
    assert _run_prefix(code, mmap, x86, ip, [0, 4096, 1, 2, 4, 0]) == "allow"
    assert _run_prefix(code, close, x86, ip, [3]) == "allow"
    assert _run_prefix(code, close, x86, ip, [4]) == "allow"
    for nr, arch, at, args in [
        (mmap, x86, ip, [0, 4096, 1, 2, 0, 0]),  # the donation slot
        (mmap, x86, ip, [0, 4096, 1, 2, 2, 0]),
        (mmap, x86, ip, [0, 4096, 1, 2, (1 << 32) | 3, 0]),  # high bits
        (mmap, x86, ip + 0x100000000, [0, 4096, 1, 2, 3, 0]),
        (mmap, x86, ip + 2, [0, 4096, 1, 2, 3, 0]),  # another instruction
        (mmap, 0x40000003, ip, [0, 4096, 1, 2, 3, 0]),  # i386
        (close, x86, ip, [0]), (close, x86, ip, [(1 << 32) | 4]), (close, x86, 0, [3]),
        (NUMBERS["mprotect"], x86, ip, [3, 4, 3]), (NUMBERS["read"], x86, ip, [3]),
    ]:
        assert _run_prefix(code, nr, arch, at, args) == "filter", (nr, arch, at, args)


def test_every_number_the_kernel_may_read_as_sigchld_goes_to_the_sentry() -> None:
    """rt_sigaction runs on the host for signals 1..64 but SIGCHLD; the Sentry sees SIGCHLD
    and every other number (the kernel reads the low 32 bits: 1 << 32 | 17 is SIGCHLD), so
    that no change of SIGCHLD's disposition escapes its note (ThreadGroup.sigchld_ign)."""
    nr = NUMBERS["rt_sigaction"]
    allowed = [s for s in range(1, 65) if is_allowed(nr, (s, 1, 0, 8, 0, 0))]
    assert allowed == [s for s in range(1, 65) if s != 17]
    for s in (17, 1 << 32 | 17, 1 << 63 | 17, 65, 1 << 32 | 5, (1 << 64) - 1):
        assert bpf.lane_of(nr, (s, 1, 0, 8, 0, 0)) == "notify", hex(s)
