"""`runsc_py features`: what this runtime supports, in the runtime-spec's features format."""

from __future__ import annotations

import argparse
import json
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def features() -> dict:
    from runsc_py.container.spec import HOOK_KINDS, NAMESPACE_TYPES
    from sentry.abi.capability import CAP_NAMES

    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.1.0",
        "hooks": list(HOOK_KINDS),
        "mountOptions": ["ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "mode"],
        "linux": {
            "namespaces": list(NAMESPACE_TYPES[:5]),
            "capabilities": list(CAP_NAMES),
            "cgroup": {"v1": True, "v2": True, "systemd": False, "systemdUser": False},
            "seccomp": {"enabled": False},
            "apparmor": {"enabled": False},
            "selinux": {"enabled": False},
        },
        "annotations": {"io.github.runsc_py.sandbox": "sentry"},
    }


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    json.dump(features(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
