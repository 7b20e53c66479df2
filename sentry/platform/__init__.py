"""Platforms: how the Sentry traps a task's syscalls and acts on the stopped task.

Two implementations of one interface (Platform), chosen with --platform:
- `seccomp` (default): a BPF filter sorts calls into ALLOW (host), NOTIFY (USER_NOTIF,
  answered with a value and memory copies) and TRACE (ptrace stop, for register work).
- `ptrace`: every call stops under PTRACE_SYSEMU; allow-listed calls are re-run on the host.
Both deliver clone/exec/exit events and signal stops through ptrace (the Sentry is the
tracer of every task), and both inject host syscalls through the stub's `syscall`.
"""

from __future__ import annotations


def get_platform(name: str):
    """Returns a new platform instance by name ("seccomp" or "ptrace")."""
    if name == "seccomp":
        from sentry.platform.seccomp import SeccompPlatform

        return SeccompPlatform()
    if name == "ptrace":
        from sentry.platform.ptrace import PtracePlatform

        return PtracePlatform()
    raise ValueError(f"unknown platform {name!r} (seccomp or ptrace)")
