"""Start-up: the wall time of `RUNTIME /bin/true` (for the sandbox, `runsc_py do /bin/true`:
the Python start, the Sentry, the platform, the exec and the exit)."""

from __future__ import annotations


def test_startup(interleaved) -> None:
    interleaved("start-up: /bin/true", ["/bin/true"], kind="startup", unit="s", wall=True,
                what="wall time of one run of /bin/true, runtime start-up included")
