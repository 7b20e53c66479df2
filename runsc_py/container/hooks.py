"""OCI hooks, run on the host per the runtime spec: the container's state on stdin,
the hook's own args (args[0] is argv[0]) and env, killed after its timeout."""

from __future__ import annotations

from runsc_py.container import jsonfast
from runsc_py.log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class HookError(Exception):
    pass


def run(kind: str, hooks: dict[str, list[dict[str, Any]]], state: dict[str, Any],
        *, fatal: bool = True) -> None:
    """Runs every hook of `kind` in order; the first failure raises HookError (or, with
    fatal=False, as for poststop, is logged and the others still run)."""
    items = hooks.get(kind) or []
    if not items:
        return
    import subprocess

    data = jsonfast.dumps(state).encode()
    for i, h in enumerate(items):
        args = h.get("args") or [h["path"]]
        try:
            p = subprocess.run(args, executable=h["path"], input=data, env=_env(h),
                               capture_output=True, timeout=h.get("timeout"), check=False,
                               cwd=state.get("bundle") or "/")
            err = None if p.returncode == 0 else (
                f"exit status {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
        except subprocess.TimeoutExpired:
            err = f"timed out after {h.get('timeout')}s"
        except OSError as e:
            err = e.strerror or str(e)
        if err is None:
            continue
        msg = f"error running {kind} hook #{i} ({h['path']}): {err}"
        if fatal:
            raise HookError(msg)
        log.warning("%s", msg)


def _env(h: dict[str, Any]) -> dict[str, str]:
    return dict(kv.partition("=")[::2] for kv in h.get("env") or [])
