"""The ELF loader's pure parts: ELF validation, #! parsing, the initial stack layout."""

from __future__ import annotations

import os
import struct

import pytest

from sentry.abi.errno import ENOEXEC
from sentry.kernel import loader
from sentry.kernel.memory import BufferBackend, Memory


class HostFile:
    """Just enough of a FileDescription for parse_elf: pread of a host file."""

    def __init__(self, path: str) -> None:
        with open(path, "rb") as f:
            self.data = f.read()

    def pread(self, n: int, off: int) -> bytes:
        return self.data[off : off + n]


class Bytes(HostFile):
    def __init__(self, data: bytes) -> None:
        self.data = data


def test_dynamic_pie_has_interp() -> None:
    elf = loader.parse_elf(HostFile("/bin/true"))
    assert elf.type == loader.ET_DYN
    assert elf.interp_path == b"/lib64/ld-linux-x86-64.so.2"
    lo, hi = elf.span
    assert lo % loader.PAGE == 0 and hi > lo


def test_static_busybox_has_no_interp() -> None:
    elf = loader.parse_elf(HostFile("/bin/busybox"))
    assert elf.interp_path is None
    assert all(s.filesz <= s.memsz for s in elf.segments)


@pytest.mark.parametrize("data", [
    b"", b"#!/bin/sh\n", b"\x7fELF" + b"\0" * 60,
    # 32-bit ELF header (EI_CLASS = 1)
    b"\x7fELF\x01\x01\x01" + b"\0" * 57,
])
def test_not_an_executable_is_enoexec(data: bytes) -> None:
    with pytest.raises(ENOEXEC):
        loader.parse_elf(Bytes(data))


def test_truncated_program_headers_are_enoexec() -> None:
    head = HostFile("/bin/true").data[:64]
    with pytest.raises(ENOEXEC):
        loader.parse_elf(Bytes(head))


@pytest.mark.parametrize("line, interp, argv", [
    (b"#!/bin/sh\n", b"/bin/sh", [b"/bin/sh", b"./s", b"a"]),
    (b"#! /usr/bin/env  python3 \n", b"/usr/bin/env", [b"/usr/bin/env", b"python3", b"./s", b"a"]),
    (b"#!/bin/awk -f -x\nrest", b"/bin/awk", [b"/bin/awk", b"-f -x", b"./s", b"a"]),
    (b"#!\t/bin/sh\t\n", b"/bin/sh", [b"/bin/sh", b"./s", b"a"]),
])
def test_shebang_like_binfmt_script(line: bytes, interp: bytes, argv: list[bytes]) -> None:
    assert loader.parse_shebang(line, b"./s", [b"s", b"a"]) == (interp, argv)


def test_empty_shebang_is_enoexec() -> None:
    with pytest.raises(ENOEXEC):
        loader.parse_shebang(b"#!   \n", b"./s", [b"s"])


class FakeTask:
    def __init__(self) -> None:
        self.backend = BufferBackend()
        self.backend.map(0x7000_0000, 1 << 18)
        self.mem = Memory(self.backend)


def test_stack_layout_argv_envp_auxv() -> None:
    t = FakeTask()
    plan = loader.ExecPlan(b"/bin/x", b"/bin/x", [b"x", b"-v"], [b"A=1", b"B=2"], None)
    top = 0x7000_0000 + (1 << 18) - 64
    sp, at = loader.build_stack(t, plan, top, {loader.AT_PAGESZ: 4096}, slot=loader.AT_PAGESZ)
    assert sp % 16 == 0 and sp < top
    mem = t.mem
    assert mem.read_u64(at) == 4096 and mem.read_u64(at - 8) == loader.AT_PAGESZ
    assert mem.read_u64(sp) == 2
    argv = [mem.read_u64(sp + 8 * (1 + i)) for i in range(3)]
    assert [mem.read_cstr(p, 64) for p in argv[:2]] == [b"x", b"-v"] and argv[2] == 0
    envp = [mem.read_u64(sp + 8 * (4 + i)) for i in range(3)]
    assert [mem.read_cstr(p, 64) for p in envp[:2]] == [b"A=1", b"B=2"] and envp[2] == 0
    p = sp + 8 * 7
    aux = {}
    while True:
        k, v = struct.unpack("<QQ", mem.read(p, 16))
        if k == loader.AT_NULL:
            break
        aux[k] = v
        p += 16
    assert aux[loader.AT_PAGESZ] == 4096
    assert mem.read_cstr(aux[loader.AT_EXECFN], 64) == b"/bin/x"
    assert mem.read_cstr(aux[loader.AT_PLATFORM], 64) == b"x86_64"
    assert len(mem.read(aux[loader.AT_RANDOM], 16)) == 16


def test_huge_environment_is_e2big() -> None:
    from sentry.abi.errno import E2BIG

    t = FakeTask()
    plan = loader.ExecPlan(b"/x", b"/x", [b"x"], [b"A=" + b"y" * (200 * 1024)], None)
    with pytest.raises(E2BIG):
        loader.build_stack(t, plan, 0x7000_0000 + (1 << 18) - 64, {})


def test_stub_entry_is_a_syscall_instruction() -> None:
    from sentry.platform.native import stub_image

    img = stub_image()
    entry = int.from_bytes(img[24:32], "little")
    elf = loader.parse_elf(Bytes(img))
    seg = next(s for s in elf.segments if s.vaddr <= entry < s.vaddr + s.filesz)
    off = seg.offset + entry - seg.vaddr
    assert img[off : off + 2] == b"\x0f\x05"  # syscall
    assert os.path.exists("/bin/true")
