"""libseccomp through ctypes: what the Sentry's two filters use of it, with pyseccomp's
names (filter.py, sentry_filter.py).

    f = SyscallFilter(NOTIFY)
    f.set_attr(Attr.ACT_BADARCH, KILL_PROCESS)
    f.add_rule(ALLOW, "read")
    f.add_rule(TRACE(0), "ioctl", Arg(1, MASKED_EQ, 0x8000, 0x8000))
    bpf = f.export_bpf_bytes();  f.load()

Not pyseccomp itself: its import finds the libraries with ctypes.util.find_library, which
imports subprocess and shutil and runs ldconfig twice (~15 ms of CPU in the start-up of
every sandbox); this opens libseccomp by its soname (libseccomp2 ships libseccomp.so.2).
Errors are OSError (libseccomp's negative errno), ValueError for a name it does not know.
"""

from __future__ import annotations

import ctypes
import os

KILL_PROCESS = 0x80000000
TRAP = 0x00030000
NOTIFY = 0x7FC00000
LOG = 0x7FFC0000
ALLOW = 0x7FFF0000

# enum scmp_compare
NE, LT, LE, EQ, GE, GT, MASKED_EQ = range(1, 8)

_NR_SCMP_ERROR = -1
MAX_ARGS = 6


def ERRNO(x: int) -> int:  # libseccomp's (and pyseccomp's) name
    return 0x00050000 | (x & 0xFFFF)


def TRACE(x: int) -> int:
    return 0x7FF00000 | (x & 0xFFFF)


class Attr:
    """enum scmp_filter_attr (the ones used)."""

    ACT_DEFAULT = 1
    ACT_BADARCH = 2
    CTL_NNP = 3


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class Arg:
    """A condition on argument `arg`: `op` against data_a (MASKED_EQ: data_a is the mask,
    data_b the value)."""

    __slots__ = ("arg", "op", "data_a", "data_b")

    def __init__(self, arg: int, op: int, data_a: int, data_b: int = 0) -> None:
        self.arg, self.op, self.data_a, self.data_b = arg, op, data_a, data_b


def _open() -> ctypes.CDLL:
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    p, u32, i = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
    for name, args, res in (
            ("seccomp_init", (u32,), p),
            ("seccomp_release", (p,), None),
            ("seccomp_attr_set", (p, i, u32), i),
            ("seccomp_syscall_resolve_name", (ctypes.c_char_p,), i),
            ("seccomp_rule_add_array", (p, u32, i, ctypes.c_uint, ctypes.POINTER(_ArgCmp)), i),
            ("seccomp_export_bpf", (p, i), i),
            ("seccomp_export_pfc", (p, i), i),
            ("seccomp_load", (p,), i)):
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
    return lib


_lib = _open()


def _check(res: int) -> None:
    if res < 0:
        raise OSError(-res, os.strerror(-res))


def resolve(name: str) -> int:
    """The x86-64 number of syscall `name`: libseccomp's, or for a call newer than this
    libseccomp (mseal with Debian 12's 2.5.4) the kernel's own (sentry/abi/sysno.py)."""
    nr = _lib.seccomp_syscall_resolve_name(name.encode())
    if nr == _NR_SCMP_ERROR:
        from sentry.abi.sysno import NUMBERS

        if name in NUMBERS:
            return NUMBERS[name]
        raise ValueError(f"libseccomp knows no syscall named {name!r}")
    return nr


class SyscallFilter:
    """A filter under construction (seccomp_init's context, released with the object)."""

    def __init__(self, default_action: int) -> None:
        self._ctx = _lib.seccomp_init(default_action)
        if not self._ctx:
            raise OSError(22, f"seccomp_init({default_action:#x}) failed")

    def __del__(self) -> None:
        ctx, self._ctx = getattr(self, "_ctx", None), None
        if ctx:
            _lib.seccomp_release(ctx)

    def set_attr(self, attr: int, value: int) -> None:
        _check(_lib.seccomp_attr_set(self._ctx, attr, value))

    def add_rule(self, action: int, syscall: int | str, *args: Arg) -> None:
        if len(args) > MAX_ARGS:
            raise ValueError(f"{len(args)} argument conditions (at most {MAX_ARGS})")
        nr = resolve(syscall) if isinstance(syscall, str) else syscall
        arr = (_ArgCmp * len(args))(*((a.arg, a.op, a.data_a, a.data_b) for a in args))
        _check(_lib.seccomp_rule_add_array(self._ctx, action, nr, len(args), arr))

    def export_bpf(self, file) -> None:
        _check(_lib.seccomp_export_bpf(self._ctx, file.fileno()))

    def export_pfc(self, file) -> None:
        _check(_lib.seccomp_export_pfc(self._ctx, file.fileno()))

    def export_bpf_bytes(self) -> bytes:
        """The BPF program, through a memfd (no temporary file, no tempfile module)."""
        fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
        try:
            _check(_lib.seccomp_export_bpf(self._ctx, fd))
            size = os.lseek(fd, 0, os.SEEK_CUR)
            return os.pread(fd, size, 0)
        finally:
            os.close(fd)

    def load(self) -> None:
        """Installs the filter on the calling thread (no_new_privs first: libseccomp's
        default CTL_NNP)."""
        _check(_lib.seccomp_load(self._ctx))
