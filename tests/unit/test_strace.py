"""sentry.kernel.strace: strace-style decoding against an in-process address space."""

from __future__ import annotations

import pytest

from sentry.kernel.memory import BufferBackend, Memory
from sentry.kernel.strace import format_call, format_line, format_result, quote

BASE = 0x10000
NEG = (1 << 64) - 1  # how a register holds -1


def u(v: int) -> int:
    """A signed value as the raw unsigned register the platform hands over."""
    return v & NEG


@pytest.fixture
def mem() -> Memory:
    b = BufferBackend()
    b.map(BASE, 2 * 4096)
    return Memory(b)


def put(mem: Memory, off: int, data: bytes) -> int:
    mem.write(BASE + off, data)
    return BASE + off


def test_openat(mem: Memory) -> None:
    p = put(mem, 0, b"/etc/passwd\0")
    assert (
        format_call("openat", (u(-100), p, 0o2000000, 0, 0, 0), mem)
        == 'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)'
    )
    flags = 0o1 | 0o100 | 0o1000 | 0o2000000
    assert (
        format_call("openat", (3, p, flags, 0o644, 0, 0), mem)
        == 'openat(3, "/etc/passwd", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644)'
    )


def test_open_flags_edge_cases(mem: Memory) -> None:
    p = put(mem, 0, b"/tmp\0")
    assert format_call("open", (p, 0o20200002, 0o600), mem) == (
        'open("/tmp", O_RDWR|O_TMPFILE, 0600)'
    )
    assert format_call("open", (p, 0o200000 | 0o400000), mem) == (
        'open("/tmp", O_RDONLY|O_DIRECTORY|O_NOFOLLOW)'
    )
    assert format_call("open", (p, 0x80000000), mem) == 'open("/tmp", O_RDONLY|0x80000000)'


def test_bad_pointer_shows_address(mem: Memory) -> None:
    assert format_call("openat", (u(-100), 0xDEAD000, 0), mem) == (
        "openat(AT_FDCWD, 0xdead000, O_RDONLY)"
    )
    assert format_call("stat", (0, 0), mem) == "stat(NULL, NULL)"
    assert format_call("write", (1, 0x5000, 10), mem) == "write(1, 0x5000, 10)"


def test_string_running_into_unmapped_page(mem: Memory) -> None:
    end = BASE + 2 * 4096
    mem.write(end - 4, b"abcd")  # no NUL before the end of the mapping
    assert format_call("unlink", (end - 4,), mem) == f"unlink({hex(end - 4)})"


def test_path_is_not_cut(mem: Memory) -> None:
    long_path = b"/" + b"x" * 200
    p = put(mem, 0, long_path + b"\0")
    assert format_call("chdir", (p,), mem) == f'chdir("{long_path.decode()}")'


def test_write_buffer_quoted_and_cut(mem: Memory) -> None:
    p = put(mem, 0, b'hi\n"\\\t\x00\x7fz')
    assert format_call("write", (1, p, 9), mem) == r'write(1, "hi\n\"\\\t\0\177z", 9)'
    p = put(mem, 100, b"a" * 40)
    assert format_call("write", (2, p, 40), mem) == f'write(2, "{"a" * 32}"..., 40)'


def test_quote_octal_before_digit() -> None:
    assert quote(b"\x01" + b"7") == r'"\0017"'
    assert quote(b"\x01" + b"9") == r'"\19"'
    assert quote(b"\x7fELF\x02\x01") == r'"\177ELF\2\1"'


def test_read_shows_pointer(mem: Memory) -> None:
    assert format_call("read", (3, BASE, 4096), mem) == f"read(3, {hex(BASE)}, 4096)"


def test_mmap(mem: Memory) -> None:
    assert format_call("mmap", (0, 8192, 3, 0x22, u(-1), 0), mem) == (
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
    )
    assert format_call("mmap", (0x7F0000000000, 4096, 5, 0x812, 3, 0x1000), mem) == (
        "mmap(0x7f0000000000, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE,"
        " 3, 0x1000)"
    )
    assert format_call("mprotect", (0x1000, 4096, 0), mem) == "mprotect(0x1000, 4096, PROT_NONE)"
    assert format_result("mmap", 0x7F0000001000) == "0x7f0000001000"
    assert format_result("mmap", u(-12)) == "-1 ENOMEM (Cannot allocate memory)"


def test_at_flags(mem: Memory) -> None:
    p = put(mem, 0, b"\0")
    assert format_call("newfstatat", (5, p, BASE, 0x1000), mem) == (
        f'newfstatat(5, "", {hex(BASE)}, AT_EMPTY_PATH)'
    )
    q = put(mem, 8, b"d\0")
    assert format_call("unlinkat", (u(-100), q, 0x200), mem) == (
        'unlinkat(AT_FDCWD, "d", AT_REMOVEDIR)'
    )
    assert format_call("faccessat2", (u(-100), q, 4 | 1, 0x200), mem) == (
        'faccessat2(AT_FDCWD, "d", R_OK|X_OK, AT_EACCESS)'
    )
    assert format_call("access", (q, 0), mem) == 'access("d", F_OK)'
    assert format_call("newfstatat", (u(-100), q, BASE, 0), mem) == (
        f'newfstatat(AT_FDCWD, "d", {hex(BASE)}, 0)'
    )


def test_execve_argv(mem: Memory) -> None:
    s1, s2 = put(mem, 0, b"/bin/echo\0"), put(mem, 16, b"hi there\0")
    argv = put(mem, 64, s1.to_bytes(8, "little") + s2.to_bytes(8, "little") + bytes(8))
    envp = put(mem, 128, s2.to_bytes(8, "little") + bytes(8))
    assert format_call("execve", (s1, argv, envp), mem) == (
        f'execve("/bin/echo", ["/bin/echo", "hi there"], {hex(envp)} /* 1 vars */)'
    )
    assert format_call("execve", (s1, 0xBAD000, 0xBAD000), mem) == (
        'execve("/bin/echo", 0xbad000, 0xbad000)'
    )
    many = put(mem, 256, b"".join(s2.to_bytes(8, "little") for _ in range(20)) + bytes(8))
    assert format_call("execve", (s1, many, 0), mem) == (
        'execve("/bin/echo", [' + '"hi there", ' * 16 + '...], NULL)'
    )


def test_scalars(mem: Memory) -> None:
    assert format_call("lseek", (3, u(-5), 2), mem) == "lseek(3, -5, SEEK_END)"
    assert format_call("close", (u(-1),), mem) == "close(-1)"
    assert format_call("kill", (1, 9), mem) == "kill(1, SIGKILL)"
    assert format_call("clock_gettime", (1, BASE), mem) == (
        f"clock_gettime(CLOCK_MONOTONIC, {hex(BASE)})"
    )
    assert format_call("exit_group", (7,), mem) == "exit_group(7)"
    assert format_call("getpid", (), mem) == "getpid()"
    assert format_call("getrandom", (BASE, 16, 1), mem) == (
        f"getrandom({hex(BASE)}, 16, GRND_NONBLOCK)"
    )
    assert format_call("clone", (0x1200011, 0, 0, BASE, 0), mem) == (
        f"clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, NULL, {hex(BASE)}, 0x0)"
    )
    assert format_call("umask", (0o22,), mem) == "umask(022)"


def test_unknown_syscall_hex(mem: Memory) -> None:
    assert format_call("syscall_1000", (1, 2, 3), mem) == (
        "syscall_1000(0x1, 0x2, 0x3, 0x0, 0x0, 0x0)"
    )
    assert format_call("kexec_load", (u(-1), 0, 0, 0, 0, 0), mem).startswith(
        "kexec_load(0xffffffffffffffff, 0x0,"
    )


def test_missing_args_are_zero(mem: Memory) -> None:
    assert format_call("lseek", (3,), mem) == "lseek(3, 0, SEEK_SET)"


def test_results() -> None:
    assert format_result("openat", 3) == "3"
    assert format_result("openat", u(-2)) == "-1 ENOENT (No such file or directory)"
    assert format_result("read", -14) == "-1 EFAULT (Bad address)"
    assert format_result("ioctl", u(-95)) == "-1 EOPNOTSUPP (Operation not supported)"
    assert format_result("wait4", -512) == "? ERESTARTSYS (To be restarted if SA_RESTART is set)"
    assert format_result("brk", 0x555555560000) == "0x555555560000"
    assert format_result("lseek", 1 << 40) == str(1 << 40)


def test_format_line(mem: Memory) -> None:
    p = put(mem, 0, b"/nonexistent\0")
    assert format_line("openat", (u(-100), p, 0), mem, u(-2)) == (
        'openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)'
    )


def test_never_raises(mem: Memory) -> None:
    import random

    from sentry.abi.sysno import NAMES
    from sentry.kernel.strace import FORMATS

    rng = random.Random(7)
    put(mem, 4096 - 3, b"abc")  # a string that runs up to... more mapped bytes, then zeros
    mem.write(BASE + 2 * 4096 - 8, b"\xff" * 8)  # an argv-looking word at the very end
    values = [0, 1, NEG, BASE, BASE + 4093, BASE + 2 * 4096 - 8, BASE + 2 * 4096, 1 << 63,
              0x7FFFFFFFF000, 0o20200000, 0xFFFFFFFF]
    for name in sorted(set(NAMES.values()) | set(FORMATS)):
        for _ in range(20):
            args = tuple(rng.choice(values) for _ in range(6))
            assert isinstance(format_call(name, args, mem), str)
            assert isinstance(format_result(name, rng.choice(values + [u(-4095), -1])), str)


def test_memfd_create_and_seals(mem: Memory) -> None:
    # As strace 6.1 prints them (and its newer releases for MFD_NOEXEC_SEAL / F_SEAL_EXEC).
    p = put(mem, 0, b"abc\0")
    assert format_call("memfd_create", (p, 3), mem) == (
        'memfd_create("abc", MFD_CLOEXEC|MFD_ALLOW_SEALING)')
    assert format_call("memfd_create", (p, 4 | 21 << 26), mem) == (
        'memfd_create("abc", MFD_HUGETLB|21<<MFD_HUGE_SHIFT)')
    assert format_call("memfd_create", (p, 0), mem) == 'memfd_create("abc", 0)'
    assert format_call("memfd_create", (p, 8), mem) == 'memfd_create("abc", MFD_NOEXEC_SEAL)'
    assert format_call("fcntl", (3, 1033, 0x19), mem) == (
        "fcntl(3, F_ADD_SEALS, F_SEAL_SEAL|F_SEAL_WRITE|F_SEAL_FUTURE_WRITE)")
    assert format_call("fcntl", (3, 1034, 0), mem) == "fcntl(3, F_GET_SEALS)"
