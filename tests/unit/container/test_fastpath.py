"""The argparse-free parser of the shim's command lines (runsc_py/cli/fastpath.py) agrees
with argparse wherever it answers, and leaves everything else to argparse."""

from __future__ import annotations

import importlib

import pytest

from runsc_py.__main__ import COMMANDS, _command_parser, _global_parser
from runsc_py.cli import UsageError, fastpath

G = ["--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json", "--log-format", "json"]

TAKEN = [
    [*G, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "c1"],
    [*G, "--systemd-cgroup", "create", "--bundle", "/b", "--pid-file", "/b/init.pid",
     "--console-socket", "/tmp/pty1/pty.sock", "c1"],
    ["create", "-b", "/b", "--no-pivot", "--no-new-keyring", "c1"],
    ["create", "c1"],
    [*G, "start", "c1"],
    ["--debug", "start", "c1"],
    [*G, "delete", "c1"],
    [*G, "delete", "--force", "c1"],
    ["delete", "-f", "c1"],
    [*G, "kill", "c1", "15"],
    [*G, "kill", "--all", "c1", "9"],
    ["kill", "-a", "c1", "KILL"],
    ["kill", "c1"],
    ["state", "c1"],
    ["--log-format", "text", "state", "c1"],
]

LEFT = [
    [], ["--help"], ["start"], ["start", "a", "b"], ["start", "--help", "c1"],
    ["--root=/r", "start", "c1"], ["--ro", "/r", "start", "c1"], ["--root"],
    ["--log-format", "xml", "start", "c1"], ["--root", "--log", "start", "c1"],
    ["delete", "--forc", "c1"], ["delete", "c1", "--force"], ["kill", "c1", "-9"],
    ["kill", "c1", "9", "x"], ["create", "--preserve-fds", "2", "c1"],
    ["create", "--bundle", "c1"], ["create", "--bundle=/b", "c1"], ["run", "c1"],
    ["do", "true"], ["--version"], ["start", "--", "c1"], ["list"],
]


def argparse_namespace(argv: list[str]) -> dict:
    opts = _global_parser().parse_args(argv)
    module = importlib.import_module(COMMANDS[opts.command].module)
    _command_parser(opts.command, COMMANDS[opts.command], module).parse_args(
        opts.args, namespace=opts)
    return vars(opts)


@pytest.mark.parametrize("argv", TAKEN, ids=" ".join)
def test_agrees_with_argparse(argv: list[str]) -> None:
    fast = fastpath.parse(argv)
    assert fast is not None
    assert vars(fast) == argparse_namespace(argv)


@pytest.mark.parametrize("argv", LEFT, ids=lambda a: " ".join(a) or "(none)")
def test_leaves_the_rest_to_argparse(argv: list[str]) -> None:
    assert fastpath.parse(argv) is None


def test_defaults_are_argparse_defaults() -> None:
    opts = vars(_global_parser().parse_args([]))
    assert {k: opts[k] for k in fastpath.GLOBAL_DEFAULTS} == fastpath.GLOBAL_DEFAULTS
    for name, (_, defaults, _) in fastpath.COMMANDS.items():
        full = argparse_namespace([name, "x"])
        assert {k: full[k] for k in defaults} == defaults, name


def test_argparse_still_reports_what_the_fast_path_leaves() -> None:
    with pytest.raises(UsageError):
        argparse_namespace(["delete", "--forc", "c1", "--bogus"])
