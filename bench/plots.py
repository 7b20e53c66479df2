"""PNG plots of results.json (matplotlib, the `[bench]` extra): the same figures as the
report's tables. Returns {section: file name}; without matplotlib, no plots and a note."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.compat import DIFFERS, NOPROBE, PASS, SERVED, UNSUPPORTED, XFAIL
from bench.report import base as base_of

COLORS = {"native": "#4d4d4d", "seccomp": "#1f77b4", "ptrace": "#ff7f0e", "proot": "#2ca02c"}
EXTRA = ["#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _color(runtime: str, i: int) -> str:
    return COLORS.get(runtime, EXTRA[i % len(EXTRA)])


def _ratio_plot(plt, benches: dict, names: list[str], runtimes: list[str], title: str,
                path: Path, base: str = "native") -> None:
    others = [r for r in runtimes if r != base]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) * max(1, len(others)) / 2 + 1.5))
    h = 0.8 / max(1, len(others))
    for i, r in enumerate(others):
        ys, xs = [], []
        for j, n in enumerate(names):
            b = benches[n]
            s, nat = b["samples"].get(r), b["samples"].get(base)
            if s and nat:
                ys.append(j + i * h)
                xs.append(statistics.median(s) / statistics.median(nat))
        ax.barh(ys, xs, height=h, color=_color(r, i), label=r)
        for y, x in zip(ys, xs, strict=True):
            ax.text(x, y, f" {x:.3g}×", va="center", fontsize=7)
        for j, n in enumerate(names):
            if r in benches[n]["failed"]:
                ax.text(1, j + i * h, f" {r}: failed", va="center", fontsize=7, color="red")
    ax.set_yticks([j + h * (len(others) - 1) / 2 for j in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xlabel(f"median time relative to {base} (log scale; 1 = {base})")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _throughput_plot(plt, benches: dict, names: list[str], runtimes: list[str],
                     path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 1.2 * len(names) + 1.5))
    h = 0.8 / max(1, len(runtimes))
    for i, r in enumerate(runtimes):
        ys, xs = [], []
        for j, n in enumerate(names):
            s = benches[n]["samples"].get(r)
            if s:
                ys.append(j + i * h)
                xs.append(1e9 / statistics.median(s))
        ax.barh(ys, xs, height=h, color=_color(r, i), label=r)
        for y, x in zip(ys, xs, strict=True):
            ax.text(x, y, f" {x:.0f}", va="center", fontsize=7)
    ax.set_yticks([j + h * (len(runtimes) - 1) / 2 for j in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlabel("MiB/s (median; higher is better)")
    ax.set_title("Throughput")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _compat_plot(plt, compat: dict, path: Path) -> None:
    runtimes = [r for r in compat["runtimes"] if r != "native"]
    impl = [row for row in compat["syscalls"].values()
            if row["status"] in SERVED]
    verdicts = [(PASS, "#2ca02c"), (XFAIL, "#bcbd22"), (DIFFERS, "#d62728"),
                (UNSUPPORTED, "#7f7f7f"), (NOPROBE, "#c7c7c7")]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(runtimes) + 1.5))
    left = [0] * len(runtimes)
    for v, color in verdicts:
        counts = [sum(1 for row in impl if row["results"].get(r) == v) for r in runtimes]
        ax.barh(runtimes, counts, left=left, color=color, label=v)
        for i, c in enumerate(counts):
            if c:
                ax.text(left[i] + c / 2, i, str(c), va="center", ha="center", fontsize=8)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel(f"syscalls the sandbox serves: supported, partial or host ({len(impl)})")
    ax.set_title("Probe verdicts per runtime")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=5, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def make(res: dict, out_dir: Path) -> dict[str, str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    made: dict[str, str] = {}
    benches = res.get("bench", {}).get("benchmarks", {})
    runtimes = list(res.get("bench", {}).get("runtimes", {}))

    def names(*kinds: str, base: str = "native") -> list[str]:
        return [n for n, b in benches.items() if b["kind"] in kinds
                and b["samples"].get(base)]

    if names("latency"):
        _ratio_plot(plt, benches, names("latency"), runtimes, "Per-call latency vs native",
                    out_dir / "latency.png")
        made["latency"] = "latency.png"
    if names("throughput"):
        _throughput_plot(plt, benches, names("throughput"), runtimes, out_dir / "throughput.png")
        made["throughput"] = "throughput.png"
    if names("startup", "workload"):
        _ratio_plot(plt, benches, names("startup", "workload"), runtimes,
                    "Start-up and workloads vs native (wall time)", out_dir / "workloads.png")
        made["workload"] = "workloads.png"
    others = sorted({b["kind"] for b in benches.values()}
                    - {"latency", "throughput", "startup", "workload"})
    for kind in others:  # e.g. oci: runsc_py vs runc, no native column (as in its table)
        rows = [b for b in benches.values() if b["kind"] == kind]
        base = base_of(rows[0])
        if names(kind, base=base):
            cols = [r for r in runtimes if any(r in b["samples"] for b in rows)]
            cols += [r for b in rows for r in b["samples"] if r not in cols]
            _ratio_plot(plt, benches, names(kind, base=base), list(dict.fromkeys(cols)),
                        f"{kind} vs {base}", out_dir / f"{kind}.png", base=base)
            made[kind] = f"{kind}.png"
    if "compat" in res:
        _compat_plot(plt, res["compat"], out_dir / "compat.png")
        made["compat"] = "compat.png"
    return made
