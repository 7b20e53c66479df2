"""The command lines containerd's shim and podman run for every container, parsed without
argparse (whose import and parser building cost several milliseconds of CPU at each of the
four runtime calls per container).

    opts = parse(argv)   # a namespace equal to argparse's, or None: then argparse parses

Only exact shapes are taken: the global flags runc's callers pass, then one of COMMANDS with
its flags (spelled out, a separate value) and positionals. Anything else (--help, --flag=value,
abbreviations, a value or positional that starts with "-", a missing or extra argument, an
invalid choice) returns None and argparse handles it, errors and all. tests/unit/container/
test_fastpath.py checks that both parsers agree.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# add_global_flags' options (runsc_py/cli/__init__.py): flag → (dest, takes a value).
GLOBAL_FLAGS = {"--root": ("root", True), "--log": ("log", True),
                "--log-format": ("log_format", True), "--debug": ("debug", False),
                "--systemd-cgroup": ("systemd_cgroup", False)}
GLOBAL_DEFAULTS = {"root": "/run/runsc_py", "log": None, "log_format": "text", "debug": False,
                   "systemd_cgroup": False, "platform": "seccomp", "network": "none",
                   "strace": False, "sentry_seccomp": "kill", "file_access": "exclusive",
                   "rootless": None, "criu": None}
CHOICES = {"log_format": ("text", "json")}

_ID = (("id",), {})
CREATE_FLAGS = {"-b": ("bundle", True), "--bundle": ("bundle", True),
                "--pid-file": ("pid_file", True), "--console-socket": ("console_socket", True),
                "--no-pivot": ("no_pivot", False), "--no-new-keyring": ("no_new_keyring", False)}
CREATE_DEFAULTS = {"bundle": ".", "pid_file": None, "console_socket": None, "no_pivot": False,
                   "no_new_keyring": False, "preserve_fds": 0}
# command → (flags, defaults, positionals (name, default if optional)).
COMMANDS: dict[str, tuple[dict[str, tuple[str, bool]], dict[str, object], tuple]] = {
    "create": (CREATE_FLAGS, CREATE_DEFAULTS, (("id", ...),)),
    "start": ({}, {}, (("id", ...),)),
    "state": ({}, {}, (("id", ...),)),
    "delete": ({"-f": ("force", False), "--force": ("force", False)}, {"force": False},
               (("id", ...),)),
    "kill": ({"-a": ("all", False), "--all": ("all", False)}, {"all": False},
             (("id", ...), ("signal", "TERM"))),
}


def _flags(argv: Sequence[str], i: int, flags: dict[str, tuple[str, bool]],
           out: dict[str, object], positionals: list[str] | None) -> int | None:
    """Reads flags (and, if `positionals` is a list, positionals) from argv[i:]; returns
    where it stopped, or None for anything it does not know."""
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-"):
            if positionals is None:
                return i
            positionals.append(a)
            i += 1
            continue
        if a not in flags or positionals:  # flags after a positional: argparse's business
            return None
        dest, takes_value = flags[a]
        if takes_value:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None
            value = argv[i + 1]
            if value not in CHOICES.get(dest, (value,)):
                return None
            out[dest] = value
            i += 2
        else:
            out[dest] = True
            i += 1
    return i


class Options:
    """The parsed command line, as attributes (argparse.Namespace's part that is used; the
    `types` module, for SimpleNamespace, is one more import)."""

    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


def parse(argv: Sequence[str]) -> Options | None:
    out: dict[str, object] = dict(GLOBAL_DEFAULTS)
    i = _flags(argv, 0, GLOBAL_FLAGS, out, None)
    if i is None or i >= len(argv) or argv[i] not in COMMANDS:
        return None
    command = argv[i]
    flags, defaults, wanted = COMMANDS[command]
    out.update(command=command, args=list(argv[i + 1:]))
    out.update(defaults)
    given: list[str] = []
    if _flags(argv, i + 1, flags, out, given) is None:
        return None
    required = sum(1 for _, default in wanted if default is ...)
    if not required <= len(given) <= len(wanted):
        return None
    for (name, default), value in zip(wanted, given + [None] * len(wanted), strict=False):
        out[name] = default if value is None else value
    return Options(**out)
