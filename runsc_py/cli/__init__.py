"""One module per command (as youki/crun do), plus what they share: the global flags.

A command module defines `add_arguments(parser)` and `run(opts, log) -> int` (the exit
status). runsc_py/__main__.py maps command names to these modules.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

PLATFORMS = ("seccomp", "ptrace")
NETWORKS = ("none", "host", "sandbox")
LOG_FORMATS = ("text", "json")


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 1."""


def _parser_class() -> type:
    import argparse

    class Parser(argparse.ArgumentParser):
        """An ArgumentParser that raises UsageError instead of printing usage and exiting 2."""

        def error(self, message: str) -> None:  # type: ignore[override]
            raise UsageError(message)

    return Parser


def __getattr__(name: str) -> object:
    """`Parser` is made on first use: argparse is imported only by commands that parse with
    it (the shim's calls take runsc_py/cli/fastpath.py)."""
    if name == "Parser":
        globals()["Parser"] = cls = _parser_class()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def add_global_flags(p: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """Adds the runc/runsc global flags. With `suppress`, flags not given leave the
    namespace untouched (for commands that also accept them after the command name)."""
    import argparse

    def d(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    p.add_argument("--root", metavar="DIR", default=d("/run/runsc_py"),
                   help="directory for container state (default /run/runsc_py)")
    p.add_argument("--log", metavar="FILE", default=d(None),
                   help="write log messages to FILE (appended) instead of stderr")
    p.add_argument("--log-format", choices=LOG_FORMATS, default=d("text"),
                   help="log format: text (default) or json lines")
    p.add_argument("--debug", action="store_true", default=d(False),
                   help="log debug messages")
    p.add_argument("--systemd-cgroup", action="store_true", default=d(False),
                   help="accepted for compatibility with runc's callers")
    p.add_argument("--platform", choices=PLATFORMS, default=d("seccomp"),
                   help="how syscalls are trapped: seccomp (default) or ptrace")
    p.add_argument("--network", choices=NETWORKS, default=d("none"),
                   help="network mode: none (default), host or sandbox")
    p.add_argument("--file-access", choices=("exclusive", "shared"), default=d("exclusive"),
                   help="the root filesystem: exclusive (default, as gVisor: nothing else "
                   "changes it while the sandbox runs, so file attributes and missing names "
                   "are cached) or shared (every stat and lookup asks the host); bind mounts "
                   "are always shared")
    p.add_argument("--strace", action="store_true", default=d(False),
                   help="log every syscall of the workload with decoded arguments")
    p.add_argument("--sentry-seccomp", choices=("kill", "log", "off"), default=d("kill"),
                   help="the Sentry's own seccomp filter: kill the Sentry on a host call it "
                   "does not need (default), log such calls and allow them, or off")
    # runc's, accepted for its callers and logged: nothing here needs them.
    p.add_argument("--rootless", default=d(None), help=argparse.SUPPRESS)
    p.add_argument("--criu", default=d(None), help=argparse.SUPPRESS)


def ignored_flags(opts: argparse.Namespace) -> list[str]:
    """The runc flags given that this runtime accepts and ignores (for the log)."""
    out = []
    for name in ("rootless", "criu", "systemd_cgroup", "no_pivot", "no_new_keyring",
                 "no_subreaper"):
        if getattr(opts, name, None):
            out.append("--" + name.replace("_", "-"))
    return out


def add_create_flags(p: argparse.ArgumentParser) -> None:
    """create's and run's flags (runc's spellings)."""
    p.add_argument("-b", "--bundle", default=".", help="the bundle directory (default .)")
    p.add_argument("--pid-file", metavar="FILE", help="write the sandbox process's pid here")
    p.add_argument("--console-socket", metavar="PATH",
                   help="unix socket to send the terminal's master fd to")
    p.add_argument("--no-pivot", action="store_true", help="accepted (no host root to pivot)")
    p.add_argument("--no-new-keyring", action="store_true", help="accepted (no keyring)")
    p.add_argument("--preserve-fds", type=int, default=0, metavar="N",
                   help="keep fds 3..3+N-1 open in the sandbox process")


def store_of(opts: argparse.Namespace):
    from runsc_py.container.state import Store

    return Store(opts.root)
