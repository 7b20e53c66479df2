"""report.md from results.json (and an older results.json to compare with).

Every figure is a median of rounds with its min-max, and its ratio to native; lower is
better for every unit stored (ns per call, ns per MiB, seconds), so a ratio above 1 is a
cost. Throughput is shown as MiB/s.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.compat import DIFFERS, NOPROBE, OURS, PASS, SERVED, UNSUPPORTED, XFAIL

KINDS = [("latency", "Per-call latency (in-guest, per iteration)"),
         ("throughput", "Throughput (in-guest)"),
         ("startup", "Start-up"),
         ("workload", "Whole workloads (wall time of one run)")]
MARK = {PASS: "pass", DIFFERS: "**differs**", UNSUPPORTED: "**unsupported**",
        XFAIL: "xfail", NOPROBE: "no probe"}
REGRESSION, IMPROVEMENT = 1.25, 0.8


def med(samples: list[float]) -> float:
    return statistics.median(samples)


def _g(x: float) -> str:
    """Three significant digits, never in exponent form."""
    return f"{x:.3g}" if x < 999.5 else f"{x:.0f}"


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{_g(value * 1000)} ms" if value < 10 else f"{value:.1f} s"
    if unit == "ns/MiB":
        return f"{1e9 / value:.0f} MiB/s"
    if value >= 1e6:
        return f"{_g(value / 1e6)} ms"
    return f"{_g(value / 1000)} µs" if value >= 1000 else f"{value:.0f} ns"


def base(b: dict) -> str:
    """The runtime a row's ratios are to: native, or runc for the container rows."""
    return "native" if "native" in b["samples"] else "runc"


def cell(b: dict, runtime: str) -> str:
    if runtime in b["failed"]:
        return "failed"
    s = b["samples"].get(runtime)
    if not s:
        return "–"
    text = fmt(med(s), b["unit"])
    base_ = base(b)
    ref = b["samples"].get(base_)
    if runtime != base_ and ref:
        text += f" (×{med(s) / med(ref):.3g})"
    lo, hi = min(s), max(s)
    if b["unit"] == "ns/MiB":
        lo, hi = hi, lo  # slowest first when shown as a rate
    return f"{text}<br><sub>{fmt(lo, b['unit'])}–{fmt(hi, b['unit'])}</sub>"


def bench_tables(res: dict, plots: dict[str, str], short: bool = False) -> list[str]:
    benches = res.get("bench", {}).get("benchmarks", {})
    runtimes = list(res.get("bench", {}).get("runtimes", {}))
    out: list[str] = []
    kinds = KINDS + [(k, f"{k} (bench/test_{k}.py)")
                     for k in sorted({b["kind"] for b in benches.values()})
                     if k not in dict(KINDS)]
    for kind, title in kinds:
        names = [n for n, b in benches.items() if b["kind"] == kind]
        if not names:
            continue
        out += [f"### {title}", ""]
        if kind in plots:
            out += [f"![{title}]({plots[kind]})", ""]
        elif kind == "startup" and "workload" in plots:
            out += ["(Plotted with the whole workloads, below.)", ""]
        present = [r for b in (benches[n] for n in names) for r in (*b["samples"], *b["failed"])]
        cols = [r for r in runtimes if r in present]
        cols += [r for r in dict.fromkeys(present) if r not in cols]
        out.append("| benchmark | " + " | ".join(cols) + " |")
        out.append("|---|" + "---|" * len(cols))
        for n in names:
            b = benches[n]
            row = [cell(b, r) if not short else cell(b, r).split("<br>")[0] for r in cols]
            out.append(f"| {n} | " + " | ".join(row) + " |")
        out.append("")
        whats = [(n, benches[n].get("what", "")) for n in names]
        if not short and any(w for _, w in whats):
            out += ["<details><summary>what each row measures</summary>", ""]
            out += [f"- {n}: {w}" for n, w in whats if w]
            out += ["", "</details>", ""]
        failed = [(n, r, m) for n in names for r, m in benches[n]["failed"].items()]
        for n, r, m in failed:
            out.append(f"- {n} under {r} failed: `{m}`")
        if failed:
            out.append("")
    return out


def compat_summary(compat: dict) -> list[str]:
    runtimes = [r for r in compat["runtimes"] if r != "native"]
    rows = compat["syscalls"]
    impl = {n: r for n, r in rows.items() if r["status"] in SERVED}
    on_host = sum(1 for r in impl.values() if r["status"] == "host")
    out = ["| runtime | " + " | ".join(MARK[v].strip("*") for v in
                                         (PASS, XFAIL, DIFFERS, UNSUPPORTED, NOPROBE)) + " |",
           "|---|---|---|---|---|---|"]
    for r in runtimes:
        counts = [sum(1 for row in impl.values() if row["results"].get(r) == v)
                  for v in (PASS, XFAIL, DIFFERS, UNSUPPORTED, NOPROBE)]
        out.append(f"| {r} | " + " | ".join(map(str, counts)) + " |")
    hung = {}
    for name, p in compat["probes"].items():
        for r, run in p["runs"].items():
            if "(timed out)" in run.get("stderr_tail", ""):
                hung.setdefault(name, []).append(r)
    lacking = sorted(impl, key=lambda n: impl[n]["nr"])
    lacking = [n for n in lacking if not impl[n]["probes"]]
    out += ["", f"Counted over the {len(impl)} syscalls the sandbox serves "
            f"({len(impl) - on_host} supported or partial in the Sentry's table, {on_host} run "
            f"on the host by the allow-list); {len(compat['probes'])} probes, "
            f"{sum(p['runs']['native']['total'] for p in compat['probes'].values())} checks. "
            + ("**Served without a probe:** " + ", ".join(lacking)
               if lacking else "Every one of them has a probe."), ""]
    if hung:
        which = "; ".join(f"{n} under {', '.join(rs)}" for n, rs in hung.items())
        out += ["Timed out (killed at the time limit, so every call they cover counts as "
                f"differing): {which}.", ""]
    return out


def compat_sections(compat: dict, plots: dict[str, str]) -> list[str]:
    runtimes = [r for r in compat["runtimes"] if r != "native"]
    out = ["## Compatibility", ""]
    if "compat" in plots:
        out += [f"![verdicts per runtime]({plots['compat']})", ""]
    out += compat_summary(compat)
    out += ["### Probes, by area", "",
            "| area | probe | covers | " + " | ".join(runtimes) + " |",
            "|---|---|---|" + "---|" * len(runtimes)]
    for name, p in sorted(compat["probes"].items(), key=lambda kv: (kv[1]["area"], kv[0])):
        cells = []
        for r in runtimes:
            run = p["runs"][r]
            ok = "✓" if run["same"] else ("xfail" if p["xfail"] and r in OURS else "✗")
            cells.append(f"{ok} {run['matched']}/{run['total']}")
        native = "" if p["native_ok"] else " (**fails natively**)"
        out.append(f"| {p['area']} | {name}{native} | {', '.join(p['covers'])} | "
                   + " | ".join(cells) + " |")
    out += ["", "### Syscalls", "",
            "Every row of the syscall table (`runsc_py syscalls`) but the ENOSYS ones, which "
            "are listed after it.", "",
            "| nr | syscall | status | lane | probes | " + " | ".join(runtimes) + " | note |",
            "|---|---|---|---|---|" + "---|" * len(runtimes) + "---|"]
    enosys = []
    for name, row in sorted(compat["syscalls"].items(), key=lambda kv: kv[1]["nr"]):
        if row["status"] == "ENOSYS":
            enosys.append(f"{name}" + (f" ({', '.join(row['probes'])})" if row["probes"] else ""))
            continue
        flag = " ⚠" if row["status"] in SERVED and not row["probes"] else ""
        cells = [MARK.get(row["results"].get(r, ""), "–") for r in runtimes]
        note = row["note"].replace("|", "\\|")
        out.append(f"| {row['nr']} | {name}{flag} | {row['status']} | {row['lane']} | "
                   f"{', '.join(row['probes']) or '–'} | " + " | ".join(cells) + f" | {note} |")
    out += ["", f"ENOSYS ({len(enosys)}): " + ", ".join(enosys), ""]
    diffs = [(n, r, p["runs"][r]) for n, p in compat["probes"].items() for r in runtimes
             if not p["runs"][r]["same"]]
    marks = [(n, x) for n, p in compat["probes"].items() for x in p["xfail_lines"]]
    marks += [(n, {"prefix": "(whole probe)", "reason": p["xfail"]})
              for n, p in compat["probes"].items() if p["xfail"]]
    if marks:
        out += ["### Known bugs and partial rows (xfail)", ""]
        out += [f"- {n}: `{x['prefix']}`: {x['reason']}" for n, x in marks]
        out.append("")
    if diffs:
        out += ["### Differences", ""]
        for n, r, run in diffs:
            lines = run["diff"].splitlines()
            cut = lines[:40] + ([f"... ({len(lines) - 40} more lines)"] if len(lines) > 40 else [])
            out += [f"#### {n} under {r} (exit {run['returncode']})", "", "```diff", *cut, "```",
                    ""]
            if run.get("stderr_tail", "").strip():
                out += ["stderr (end):", "", "```", run["stderr_tail"].strip()[-600:], "```", ""]
    return out


def _cost(b: dict, runtime: str) -> float | None:
    """A runtime's median over its row's base runtime's (native, or runc) in one run."""
    s, ref = b["samples"].get(runtime), b["samples"].get(base(b))
    return med(s) / med(ref) if s and ref else None


def compare(new: dict, old: dict) -> list[str]:
    """Regressions and improvements against an older results.json.

    Both runs' figures move with the machine's load, and native's own figures are noisy
    where CPU placement matters (ping-pong), so a sandboxed runtime is flagged only when both
    agree: its median (new over old) and its cost, its ratio to native (runc for the
    container rows) within each run, new over old. Native's change is shown, never flagged:
    it is the machine's."""
    out = ["## Compared with an earlier run", "",
            f"Old run: {old.get('meta', {}).get('date', '?')} "
            f"({'quick' if old.get('meta', {}).get('quick') else 'full'}). Change: new median "
            "over old, and new cost over old cost (the cost is the ratio to native within a "
            "run, so load that slows native too cancels out). A runtime is flagged a "
            f"regression when both are above {REGRESSION}, an improvement when both are below "
            f"{IMPROVEMENT}; native is never flagged (its change is the machine's).", ""]
    rows = []
    nb = new.get("bench", {}).get("benchmarks", {})
    ob = old.get("bench", {}).get("benchmarks", {})
    for name, b in nb.items():
        ob_ = ob.get(name, {"samples": {}, "failed": {}})
        for r, s in b["samples"].items():
            o = ob_["samples"].get(r)
            if not o:
                continue
            raw = med(s) / med(o)
            cn, co = _cost(b, r), _cost(ob_, r)
            if r == base(b):
                cost, change, tag = "(base)", f"×{raw:.2f}", ""
            else:
                rel = cn / co if cn and co else raw
                cost = f"×{co:.3g} → ×{cn:.3g}" if cn and co else "–"
                change = f"×{raw:.2f} / ×{rel:.2f}"
                tag = ("**regression**" if min(raw, rel) > REGRESSION
                       else "improvement" if max(raw, rel) < IMPROVEMENT else "")
            rows.append(f"| {name} | {r} | {fmt(med(o), b['unit'])} | {fmt(med(s), b['unit'])} "
                        f"| {cost} | {change} | {tag} |")
        for r in b["failed"]:
            if r in ob_["samples"]:
                rows.append(f"| {name} | {r} | ok | failed | – | – | **regression** |")
    if rows:
        out += ["| benchmark | runtime | old | new | cost: old → new | change: median / cost | |",
                "|---|---|---|---|---|---|---|", *rows, ""]
    nc = new.get("compat", {}).get("syscalls", {})
    oc = old.get("compat", {}).get("syscalls", {})
    changes = []
    for name, row in nc.items():
        for r, v in row["results"].items():
            was = oc.get(name, {}).get("results", {}).get(r)
            if was and was != v:
                changes.append(f"- {name} under {r}: {was} → {v}"
                               + (" **(regression)**" if was == PASS else ""))
    out += (["Compatibility changes:", "", *changes, ""] if changes
            else ["No syscall verdict changed.", ""])
    return out


def regressions(new: dict, old: dict) -> list[str]:
    """One line per regression (for the terminal)."""
    return [line for line in compare(new, old) if "**regression" in line]


def write(res: dict, out_dir: Path, plots: dict[str, str], old: dict | None) -> Path:
    meta = res["meta"]
    lines = [f"# runsc-py: compatibility and performance ({meta['date']})", "",
             f"Command: `{meta['command']}` ({'quick' if meta['quick'] else 'full'} mode, "
             f"{meta['seconds']:.0f} s). Host: {meta['host']}; commit {meta['commit']}.", "",
             f"Load average at start {meta['load_start']}, at end {meta['load_end']} "
             f"({meta['cpus']} CPUs): other work on the machine slows every runtime; the "
             "rounds are interleaved so it hits all of them alike, and the ratios are the "
             "figures to compare.", ""]
    if "compat_run" in meta:
        c = meta["compat_run"]
        lines += [f"The compatibility half comes from another run: `{c['command']}` on "
                  f"{c['date']} ({c['seconds']:.0f} s; commit {c['commit']}).", ""]
    if old:
        lines += compare(res, old)
    if "compat" in res:
        lines += compat_sections(res["compat"], plots)
    if "bench" in res:
        lines += ["## Performance", "",
                  f"Median of {res['bench']['rounds']} rounds, min–max below, "
                  "(×ratio) to native.", ""]
        lines += bench_tables(res, plots)
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
