"""The layering rules of STYLE.md, checked by parsing the source (nothing is imported).

1. `sentry` never imports `runsc_py` (the kernel knows nothing of its CLI).
2. The VFS core (sentry/vfs/ outside fsimpl/) never imports a filesystem implementation
   (sentry.vfs.fsimpl…): implementations register with the core, not the reverse.
3. Only host-backed code catches OSError (or a subclass or alias of it): everywhere else
   a host error is a Sentry bug, never something to turn into an errno.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SENTRY = REPO / "sentry"

# Rule 2: files under sentry/vfs/ (outside fsimpl/) that may import implementations, each
# with the reason. Keep it empty: start-up wiring belongs outside the VFS package.
VFS_CORE_EXEMPT: dict[str, str] = {}

# Rule 3: code that talks to the host and may turn its OSError into a SysError.
HOST_BACKED_DIRS = ("sentry/vfs/fsimpl/host/", "sentry/netstack/hostinet/")
# Other files allowed to catch OSError, each with the reason: host-backed code only (the
# platform's own host calls), never a syscall handler or the VFS/netstack core.
OSERROR_ALLOWED_FILES: dict[str, str] = {
    "sentry/platform/seccomp.py": "the listener ioctl SET_FLAGS is absent on older kernels",
    "sentry/kernel/kernel.py": "host calls on a task that died meanwhile (ESRCH)",
    "sentry/kernel/stops.py": "host calls on a task that died meanwhile (ESRCH)",
    "sentry/kernel/loader.py": "an injected host syscall failed while building a task",
    "sentry/kernel/signals.py": "reads a traced task's dispositions from the host's /proc",
    "sentry/kernel/cputime.py": "reads a task's CPU time from the host's /proc",
    "sentry/kernel/ipc_shm.py": "a SysV segment's memfd, which a host short of fds or "
    "memory refuses (ENFILE, ENOMEM)",
    "sentry/kernel/sched.py": "a guest's positive nice value and its time slice, set on and "
    "read from its thread, which may be gone",
    "sentry/kernel/process.py": "a new task's guest tid (the PID namespace's nsfs, /proc) and "
    "the SIGCHLD masks of a traced parent and a task's personality (/proc), for tasks that "
    "may be gone",
    "sentry/control.py": "the runtime's control socket and the host's /proc (exec), never "
    "a workload's call",
}

OSERROR_NAMES = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), OSError)
)  # OSError, IOError, EnvironmentError, FileNotFoundError, PermissionError, ...
OSERROR_MODULE_ALIASES = frozenset({"os", "socket", "select"})  # os.error, socket.error ...


def sentry_files() -> list[Path]:
    return sorted(SENTRY.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import, relative ones resolved; for
    `from m import x` both m and m.x (x may be a submodule); also import_module("...")."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield node.lineno, mod
            for alias in node.names:
                yield node.lineno, f"{mod}.{alias.name}"
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            if node.args and isinstance(node.args[0], ast.Constant):
                if isinstance(node.args[0].value, str):
                    yield node.lineno, node.args[0].value


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_sentry_has_sources() -> None:
    assert len(sentry_files()) > 5, "the rules below would pass vacuously"


def violations(files: list[Path], package: str) -> list[str]:
    """`file:line: imports module` for each import statement reaching into `package`."""
    found: dict[tuple[str, int], str] = {}
    for p in files:
        for line, mod in imported_modules(p, parse(p)):
            if is_within(mod, package):
                found.setdefault((rel(p), line), mod)  # `from m import x`: report m once
    return [f"{f}:{line}: imports {mod}" for (f, line), mod in sorted(found.items())]


def test_sentry_never_imports_runsc_py() -> None:
    bad = violations(sentry_files(), "runsc_py")
    assert not bad, "sentry must not import runsc_py:\n" + "\n".join(bad)


def test_vfs_core_never_imports_fsimpl() -> None:
    core = [
        p for p in (SENTRY / "vfs").rglob("*.py")
        if not rel(p).startswith("sentry/vfs/fsimpl/") and rel(p) not in VFS_CORE_EXEMPT
    ]
    bad = violations(core, "sentry.vfs.fsimpl")
    assert not bad, (
        "the VFS core must not import a filesystem implementation (wiring that needs both "
        "belongs outside sentry/vfs/, or in VFS_CORE_EXEMPT with a reason):\n" + "\n".join(bad)
    )


def _catches_oserror(expr: ast.expr | None) -> bool:
    if expr is None:  # a bare `except:` is another rule's business (ruff E722)
        return False
    if isinstance(expr, ast.Tuple):
        return any(_catches_oserror(e) for e in expr.elts)
    if isinstance(expr, ast.Name):
        return expr.id in OSERROR_NAMES
    if isinstance(expr, ast.Attribute):
        if expr.attr in OSERROR_NAMES:  # builtins.OSError
            return True
        return (
            expr.attr == "error"
            and isinstance(expr.value, ast.Name)
            and expr.value.id in OSERROR_MODULE_ALIASES
        )
    return False


def oserror_catches(tree: ast.AST) -> Iterator[int]:
    """Lines of `except <OSError or subclass>` and of `suppress(<OSError ...>)`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and _catches_oserror(node.type):
            yield node.lineno
        elif isinstance(node, ast.Call):
            f = node.func
            name = getattr(f, "id", None) or getattr(f, "attr", None)
            if name == "suppress" and any(_catches_oserror(a) for a in node.args):
                yield node.lineno


def test_only_host_backed_code_catches_oserror() -> None:
    bad = []
    for p in sentry_files():
        r = rel(p)
        if r.startswith(HOST_BACKED_DIRS) or r in OSERROR_ALLOWED_FILES:
            continue
        bad += [f"{r}:{line}" for line in oserror_catches(parse(p))]
    assert not bad, (
        "only host-backed code catches OSError (see HOST_BACKED_DIRS and "
        "OSERROR_ALLOWED_FILES in this test):\n" + "\n".join(bad)
    )


def test_exemptions_name_existing_files() -> None:
    missing = [f for f in (*OSERROR_ALLOWED_FILES, *VFS_CORE_EXEMPT) if not (REPO / f).is_file()]
    assert not missing, f"stale entries in this test's allow-lists: {missing}"


def test_the_checks_see_violations() -> None:
    """The detectors themselves, on small sources."""
    src = (
        "from contextlib import suppress\n"
        "try:\n    pass\nexcept (ValueError, FileNotFoundError):\n    pass\n"
        "try:\n    pass\nexcept socket.error:\n    pass\n"
        "with suppress(OSError):\n    pass\n"
        "try:\n    pass\nexcept ValueError:\n    pass\n"
    )
    assert list(oserror_catches(ast.parse(src))) == [4, 8, 10]
    fake = SENTRY / "vfs" / "mount.py"
    imports = "from .fsimpl import tmpfs\nimport runsc_py.cli\nfrom . import fsimpl\n"
    mods = [m for _, m in imported_modules(fake, ast.parse(imports))]
    assert "sentry.vfs.fsimpl.tmpfs" in mods
    assert "sentry.vfs.fsimpl" in mods
    assert "runsc_py.cli" in mods
