"""The differential C probes of tests/syscalls/probes/: their headers, build and comparison.

Shared by tests/syscalls (pytest) and `python -m bench` (the compatibility report).

A probe's header is its leading `//` comment lines; these keys are read from it:

    // build: -static                       extra gcc flags
    // covers: openat, close, fstat         the syscalls the probe checks (x86-64 names)
    // xfail: REASON                        the whole probe is a known Sentry bug
    // xfail-line: PREFIX -- REASON         output lines starting with PREFIX are a known bug

Lines an `xfail-line` names are left out of the comparison on both sides (and reported as
xfail); a probe under `xfail` is still run and its result reported, never counted as a pass.
Binaries are cached in tests/syscalls/probes/bin/ (gitignored) under a name that carries a
hash of the source, the headers (probe.h, probe_epoll.h) and the flags, so an edited probe
is rebuilt and a stale one never runs.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROBES = REPO / "tests" / "syscalls" / "probes"
BIN = PROBES / "bin"
BASE_FLAGS = ("-O1", "-Wall", "-Werror=implicit-function-declaration")


class BuildError(Exception):
    """gcc failed; the message has the command and its stderr."""


@dataclass(frozen=True)
class XfailLine:
    prefix: str
    reason: str


@dataclass
class ProbeMeta:
    name: str  # "file", "containment/int80"
    src: Path
    flags: list[str] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)
    area: str = ""
    xfail: str = ""  # a reason, or "" when the probe is expected to pass
    xfail_lines: list[XfailLine] = field(default_factory=list)
    title: str = ""  # the header's first descriptive line


def header_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        out.append(line[2:].strip())
    return out


def parse(src: Path) -> ProbeMeta:
    """Reads a probe's header (see the module doc)."""
    rel = src.relative_to(PROBES) if src.is_relative_to(PROBES) else Path(src.name)
    name = rel.with_suffix("").as_posix()
    meta = ProbeMeta(name=name, src=src, area=name.split("/")[0].split("_")[0])
    for line in header_lines(src.read_text()):
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or " " in key:
            if not meta.title:
                meta.title = line
            continue
        if key == "build":
            meta.flags = value.split()
        elif key == "covers":
            meta.covers += [c.strip() for c in value.split(",") if c.strip()]
        elif key == "area":
            meta.area = value
        elif key == "xfail":
            meta.xfail = value
        elif key == "xfail-line":
            prefix, _, reason = value.partition(" -- ")
            meta.xfail_lines.append(XfailLine(prefix.strip(), reason.strip()))
        elif not meta.title:
            meta.title = line
    return meta


def differential_probes() -> list[ProbeMeta]:
    """Probes that must print the same natively and sandboxed (top level of probes/)."""
    return [parse(p) for p in sorted(PROBES.glob("*.c"))]


def build(src: Path) -> Path:
    """Compiles src (cached by content hash); returns the binary's path."""
    flags = [*BASE_FLAGS, *parse(src).flags]
    h = hashlib.sha256()
    headers = [p.read_bytes() for p in sorted(PROBES.glob("*.h"))]  # probe.h and helpers
    for part in (src.read_bytes(), *headers, " ".join(flags).encode()):
        h.update(part)
    rel = src.relative_to(PROBES).with_suffix("")
    stem = "-".join(rel.parts)
    out = BIN / f"{stem}-{h.hexdigest()[:12]}"
    if out.exists():
        return out
    BIN.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    cmd = ["gcc", *flags, f"-I{PROBES}", "-o", str(tmp), str(src)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"building {src.name} failed:\n{' '.join(cmd)}\n{r.stderr}")
    os.replace(tmp, out)  # atomic: concurrent sessions never see a half-written binary
    for old in BIN.glob(f"{stem}-" + "?" * 12):
        if old != out:
            old.unlink(missing_ok=True)  # an earlier version of this probe
    return out


def split_xfail(meta: ProbeMeta, out: bytes) -> tuple[list[str], list[str]]:
    """(lines to compare, lines an xfail-line names) of a probe's stdout."""
    keep, known = [], []
    for line in out.decode(errors="replace").splitlines():
        if any(line.startswith(x.prefix) for x in meta.xfail_lines):
            known.append(line)
        else:
            keep.append(line)
    return keep, known


def diff(native: list[str], boxed: list[str], label: str = "sandboxed") -> str:
    return "\n".join(
        difflib.unified_diff(native, boxed, "native", label, lineterm="", n=1)
    )


@dataclass
class Comparison:
    same: bool  # compared lines and exit status equal
    diff: str  # unified diff of the compared lines ("" when same)
    differing: list[str]  # native lines missing or changed in the sandbox, and extra lines
    xfail_same: bool  # the xfail-line lines happen to match too
    matched: int
    total: int
    xfail_stale: list[str] = field(default_factory=list)  # marks whose lines all match


def _marked(lines: list[str], prefix: str) -> list[str]:
    return [line for line in lines if line.startswith(prefix)]


def compare(meta: ProbeMeta, native: subprocess.CompletedProcess,
            boxed: subprocess.CompletedProcess, label: str = "sandboxed") -> Comparison:
    a, ax = split_xfail(meta, native.stdout)
    b, bx = split_xfail(meta, boxed.stdout)
    differing = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            differing += a[i1:i2] + b[j1:j2]
    matched = sum(i2 - i1 for op, i1, i2, _, _ in sm.get_opcodes() if op == "equal")
    text = diff(a, b, label)
    if native.returncode != boxed.returncode:
        line = f"exit status: native {native.returncode}, {label} {boxed.returncode}"
        differing.append(line)
        text = (text + "\n" + line).strip()
    stale = [x.prefix for x in meta.xfail_lines
             if _marked(ax, x.prefix) and _marked(ax, x.prefix) == _marked(bx, x.prefix)]
    return Comparison(not differing, text, differing, ax == bx, matched, len(a), stale)


_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names(word: str, covers: list[str]) -> list[str]:
    """The covered syscalls a word of a label stands for: itself, or the call libc makes
    for it (open -> openat, stat -> newfstatat, pread -> pread64, fork -> clone ...)."""
    forms = {word, word + "at", "new" + word + "at", word + "64", word + "2"}
    if word in ("fork", "vfork"):
        forms.add("clone")
    if word in ("stat", "lstat", "fstat"):
        forms.add("newfstatat")
    return [c for c in covers if c in forms]


def line_syscalls(line: str, covers: list[str]) -> list[str]:
    """Which of `covers` a probe output line is about: the words of its label (before the
    first ':') that name a covered syscall, or [] when none does."""
    label = line.split(":", 1)[0]
    out: list[str] = []
    for word in _CALL.findall(label):
        out += [c for c in _names(word, covers) if c not in out]
    return out
