"""A plain-text progress bar on stderr: redrawn in place on a terminal, one line per step
(throttled to every 10 %) otherwise, so CI logs stay short."""

from __future__ import annotations

import sys
import time

_last: dict[str, float] = {}
WIDTH = 30


def bar(done: int, total: int, label: str) -> None:
    total = max(total, 1)
    frac = min(done / total, 1.0)
    filled = int(WIDTH * frac)
    line = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {label}"
    err = sys.__stderr__ or sys.stderr
    if err.isatty():
        err.write("\r\033[K" + line[:150] + ("\n" if done >= total else ""))
    else:
        stage = label.split(":", 1)[0]
        decile = int(frac * 10)
        if _last.get(stage) == decile and done < total:
            return
        _last[stage] = decile
        err.write(line[:150] + "\n")
    err.flush()


class Timer:
    """with Timer() as t: ...; t.seconds"""

    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
