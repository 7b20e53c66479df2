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
    assert bpf.lane_of(mmap, (0, 4096, 1, 2, 3, 0)) == "trace"
    assert bpf.lane_of(NUMBERS["getpid"], (0,) * 6) == "notify"
    assert bpf.lane_of(NUMBERS["execve"], (0,) * 6) == "trace"
    assert bpf.lane_of(NUMBERS["brk"], (0,) * 6) == "trace"
    assert bpf.lane_of(1000, (0,) * 6) == "notify"  # unknown: the Sentry answers ENOSYS
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
