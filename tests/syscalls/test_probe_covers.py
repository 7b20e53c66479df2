"""Each differential probe says which syscalls it checks (`// covers: a, b`), and says true:
strace shows the probe making every call it claims, natively. Every call the sandbox serves
(the table marks it supported or partial, or the host allow-list runs it) is covered by some
probe (the compatibility report depends on it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import probelib
from sentry.abi.sysno import NAMES, NUMBERS
from sentry.platform.allowlist import ALLOW
from sentry.syscalls.table import PARTIAL, SUPPORTED, TABLE

PROBES = probelib.differential_probes()
_STRACE_LINE = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?:<\.\.\.\s+)?([a-z_0-9]+)[( ]")


@pytest.mark.parametrize("meta", PROBES, ids=[m.name for m in PROBES])
def test_covers_names_real_syscalls(meta: probelib.ProbeMeta) -> None:
    assert meta.covers, f"{meta.src.name}: no `// covers: ...` header line"
    unknown = [c for c in meta.covers if c not in NUMBERS]
    assert not unknown, f"{meta.src.name}: not x86-64 syscall names: {unknown}"
    assert len(set(meta.covers)) == len(meta.covers), f"{meta.src.name}: duplicates"


@pytest.mark.skipif(not shutil.which("strace"), reason="needs strace")
@pytest.mark.parametrize("meta", PROBES, ids=[m.name for m in PROBES])
def test_probe_makes_the_calls_it_covers(
    meta: probelib.ProbeMeta, probe, tmp_path: Path, common_env
) -> None:
    binary = probe(meta.name)
    log = tmp_path / "strace.log"
    scratch = tmp_path / "scratch"
    p = subprocess.run(
        ["strace", "-f", "-qq", "-o", str(log), str(binary), str(scratch)],
        cwd=tmp_path, env=common_env, capture_output=True, stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    made = set()
    for line in log.read_text(errors="replace").splitlines():
        m = _STRACE_LINE.match(line)
        if m:  # an strace older than the call prints syscall_0x1c4
            name = m.group(1)
            made.add(NAMES.get(int(name[10:], 16), name) if name.startswith("syscall_0x") else name)
    missing = [c for c in meta.covers if c not in made]
    assert not missing, f"{meta.src.name} claims {missing} but never calls them"


def test_every_supported_syscall_has_a_probe() -> None:
    covered = {c for m in PROBES for c in m.covers}
    lacking = [
        f"{nr} {e.name} ({e.status})" for nr, e in sorted(TABLE.items())
        if e.status in (SUPPORTED, PARTIAL) and e.name not in covered
    ]
    assert not lacking, (
        "supported/partial syscalls no probe in tests/syscalls/probes/ covers "
        f"(add one, with a `// covers:` line): {', '.join(lacking)}"
    )


def test_every_host_allowed_syscall_has_a_probe() -> None:
    """The allow-list's calls run on the host, but the sandbox still answers for them: the
    report lists each with a verdict, so each needs a probe too."""
    covered = {c for m in PROBES for c in m.covers}
    lacking = [f"{nr} {NAMES[nr]}" for nr in sorted(ALLOW) if NAMES[nr] not in covered]
    assert not lacking, (
        "host allow-list syscalls no probe in tests/syscalls/probes/ covers "
        f"(add one, with a `// covers:` line): {', '.join(lacking)}"
    )
