#!/usr/bin/python3
"""Figures and Markdown tables from rsr-bench's JSON results.

    /usr/bin/python3 plots/plot.py --results results/<machine-id> --out plots/<machine-id>
    /usr/bin/python3 plots/plot.py --compare results/<id-A> results/<id-B> [--out DIR]

Reads (each optional; what is missing is skipped with a note on stderr):
    <results>/run.json        rsr-bench run --format json
    <results>/tokens.json     rsr-bench run --tokens 8,32,128,512 (multi-token figure, verdict)
    <results>/roofline.json   rsr-bench roofline --format json (compute roof table)
    <results>/targets.json    rsr-bench run --target all (per-target table)
    <results>/targets-prefill.json  the same at N = 128 (optional; joins that table)
    <results>/bandwidth.json  rsr-bench bandwidth --format json
    <results>/paper.json      rsr-bench paper --format json
    <results>/model.json      rsr-bench model --format json (decoder layers, Amdahl)
Writes (only those whose data exist):
    <out>/time_vs_n.png              GEMV median time vs n, log-log, per kernel
    <out>/speedup_vs_dense_f32.png   speed-up over dense-f32 vs n
    <out>/bits_per_weight.png        prepared bits per weight per kernel
    <out>/memory.png                 prepared vs peak-Prepare bytes, scratch per call vs N
    <out>/roofline_fraction.png      effective GB/s / measured DRAM GB/s
    <out>/multitoken.png             tokens per second vs tokens per call, with each
                                     method's compute roof (dashed)
    <out>/roofline.png               roofline per method: GMAC/s vs MACs per weight
                                     byte, its compute roof and the bandwidth roofs
    <out>/bandwidth.png              read bandwidth per buffer size and threads
    <out>/paper_faithful.png         the paper's speed-ups, ours vs published, and
                                     the -O0 methods beside the -O3 kernels
    <out>/model_breakdown.png        share of layer time per operation, per kernel
                                     (stacked to 100%; layer ms on top)
    <out>/model_amdahl.png           projection share f and gain over dense-f32 vs
                                     context, with Amdahl's ceiling
    <results>/tables.md              Markdown tables from the same JSON
                                     (--tables PATH to change)

--compare A B reads run.json and tokens.json from two results folders (two
machines, or two builds on one), matches records by kernel, shape, tokens and
threads, and prints B's median time over A's for each (> 1: slower on B); it
writes <out>/compare.png (one heat map per tokens x threads group) and
<out>/compare.md (default out: plots/compare-<A>-vs-<B>).

Needs only Debian's python3-matplotlib (Agg backend, no display).
"""

import argparse
import json
import math
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Fixed colour and marker per kernel so every figure agrees.
KERNEL_STYLE = {
    "dense-naive": ("#7f7f7f", "x"),
    "dense-f32": ("#000000", "s"),
    "rsr": ("#ff7f0e", "v"),
    "rsrpp": ("#d62728", "^"),
    "rsrpp-simd": ("#e377c2", "D"),
    "i2s": ("#1f77b4", "o"),
    "tl1": ("#2ca02c", "P"),
    "tl2": ("#17becf", "*"),
    "tq5": ("#9467bd", "h"),
}
# SIMD methods compared per N (the verdict), in table order.
VERDICT_KERNELS = ["i2s", "tq5", "tl1", "tl2", "rsrpp-simd", "dense-f32"]
EXTRA_COLOURS = ["#9467bd", "#8c564b", "#bcbd22", "#aec7e8", "#ffbb78", "#98df8a"]


def note(msg):
    print("plot.py: " + msg, file=sys.stderr)


def load(path):
    if not os.path.exists(path):
        note("%s not found: skipped" % path)
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        note("%s unreadable (%s): skipped" % (path, e))
        return None


def style(kernel, _extra={}):
    base = kernel.split("@")[0]
    if base in KERNEL_STYLE:
        return KERNEL_STYLE[base]
    if base not in _extra:
        _extra[base] = (EXTRA_COLOURS[len(_extra) % len(EXTRA_COLOURS)], ".")
    return _extra[base]


def context_line(doc):
    c = (doc or {}).get("context", {})
    return "%s, %s, git %s, %s" % (c.get("cpu_model", "?"), c.get("compiler", "?"),
                                   c.get("git_revision", "?"), c.get("date", "?"))


def series_key(rec, multi_target):
    return rec["kernel"] + ("@" + rec["target"] if multi_target else "")


def finish(fig, ax_list, path, subtitle):
    for ax in ax_list:
        ax.grid(True, which="major", alpha=0.35)
        ax.grid(True, which="minor", alpha=0.12)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize=8, loc="best")
    fig.text(0.5, 0.005, subtitle, ha="center", va="bottom", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print("wrote " + path)


def pow2_label(n):
    e = math.log2(n)
    return "$2^{%d}$" % e if abs(e - round(e)) < 1e-9 else str(int(n))


def square_gemv_records(run, paper):
    """Single-token square records: from run.json, else paper.json's modern."""
    recs = []
    if run:
        recs = [r for r in run.get("results", [])
                if r.get("tokens") == 1 and r.get("m") == r.get("k")]
    if not recs and paper:
        recs = [dict(r, threads=1) for r in paper.get("modern", [])]
    return recs


def by_series(recs, value, threads=None):
    multi = len({r.get("target") for r in recs}) > 1
    out = defaultdict(list)
    for r in recs:
        if threads is not None and r.get("threads") != threads:
            continue
        if r.get(value) is None:
            continue
        out[series_key(r, multi)].append((r["k"], r[value]))
    return {k: sorted(v) for k, v in out.items()}


def thread_counts(recs):
    return sorted({r.get("threads", 1) for r in recs})


def plot_time_vs_n(recs, out, sub):
    ths = thread_counts(recs)
    fig, axes = plt.subplots(1, len(ths), figsize=(6.2 * len(ths), 4.6), squeeze=False)
    axes = axes[0]
    for ax, th in zip(axes, ths):
        for name, pts in sorted(by_series(recs, "median_ms", th).items()):
            colour, marker = style(name)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                    color=colour, label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (W is n x n)")
        ax.set_ylabel("median time per GEMV (ms)")
        ax.set_title("GEMV time vs n, %d thread%s" % (th, "s" if th > 1 else ""))
    finish(fig, axes, os.path.join(out, "time_vs_n.png"), sub)


def plot_speedup(recs, out, sub):
    ths = thread_counts(recs)
    if not any(r.get("speedup_vs_dense_f32") for r in recs):
        note("no speedup_vs_dense_f32 values: speed-up figure skipped")
        return
    fig, axes = plt.subplots(1, len(ths), figsize=(6.2 * len(ths), 4.6), squeeze=False)
    axes = axes[0]
    for ax, th in zip(axes, ths):
        for name, pts in sorted(by_series(recs, "speedup_vs_dense_f32", th).items()):
            colour, marker = style(name)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                    color=colour, label=name)
        ax.axhline(1.0, color="#000000", lw=0.8, ls="--")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (W is n x n)")
        ax.set_ylabel("speed-up over dense-f32 (x)")
        ax.set_title("Speed-up over dense-f32, %d thread%s" % (th, "s" if th > 1 else ""))
    finish(fig, axes, os.path.join(out, "speedup_vs_dense_f32.png"), sub)


def plot_bits(run, paper, out, sub):
    # kernel -> bits/weight at the largest shape seen (index overheads shrink
    # with size, so the largest is the representative one).
    best = {}
    sources = []
    if run:
        sources += [(r["kernel"], r["m"] * r["k"], r.get("bits_per_weight"))
                    for r in run.get("results", [])]
    if paper:
        sources += [(r["kernel"], r["n"] * r["n"], r.get("bits_per_weight"))
                    for r in paper.get("memory_kernels", [])]
    for kernel, size, bpw in sources:
        if bpw is None:
            continue
        if kernel not in best or size > best[kernel][0]:
            best[kernel] = (size, bpw)
    if not best:
        note("no bits_per_weight data: figure skipped")
        return
    names = sorted(best, key=lambda k: best[k][1])
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    vals = [best[k][1] for k in names]
    bars = ax.bar(names, vals, color=[style(k)[0] for k in names])
    for b, k in zip(bars, names):
        n = math.isqrt(best[k][0])
        lab = "%.2f" % best[k][1]
        if n * n == best[k][0]:
            lab += "\n(n=%d)" % n
        ax.text(b.get_x() + b.get_width() / 2, b.get_height(), lab, ha="center",
                va="bottom", fontsize=7)
    ax.axhline(1.58, color="#555555", lw=0.8, ls=":", label="log2(3) = 1.58")
    ax.set_yscale("log", base=2)
    ax.set_ylim(top=max(vals) * 2.5)
    ax.set_ylabel("prepared bits per weight (log2 scale)")
    ax.set_title("Memory: bits per weight at the largest shape measured")
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    finish(fig, [ax], os.path.join(out, "bits_per_weight.png"), sub)


def memory_records(run):
    """Per kernel, the records (one per token count, 1 thread) of the shape
    with the most token counts, then the most kernels, then the most weights;
    or {} when the run has no memory figures (older results, sanitizer
    builds)."""
    recs = [r for r in (run or {}).get("results", [])
            if r.get("prepare_peak_bytes") is not None and r.get("threads") == 1]
    if not recs:
        return {}, None
    shapes = {}
    for r in recs:
        e = shapes.setdefault((r["m"], r["k"]), (set(), set()))
        e[0].add(r["tokens"])
        e[1].add(r["kernel"])
    shape = max(shapes, key=lambda sh: (len(shapes[sh][0]), len(shapes[sh][1]),
                                         sh[0] * sh[1], sh))
    by_kernel = {}
    for r in recs:
        if (r["m"], r["k"]) == shape:
            by_kernel.setdefault(r["kernel"], {})[r["tokens"]] = r
    return by_kernel, shape


def plot_memory(run, out, sub):
    by_kernel, shape = memory_records(run)
    if not by_kernel:
        note("no prepare_peak_bytes in the run: memory figure skipped")
        return
    names = sorted(by_kernel, key=lambda k: next(iter(by_kernel[k].values()))["prepared_bytes"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4))
    x = range(len(names))
    first = [next(iter(by_kernel[k].values())) for k in names]
    a1.bar([i - 0.2 for i in x], [r["prepared_bytes"] / 2.0 ** 20 for r in first], 0.4,
           label="prepared (PreparedBytes)", color="#4477aa")
    a1.bar([i + 0.2 for i in x], [r["prepare_peak_bytes"] / 2.0 ** 20 for r in first], 0.4,
           label="peak during Prepare", color="#ee6677")
    a1.set_xticks(list(x))
    a1.set_xticklabels(names, rotation=20, ha="right")
    a1.set_yscale("log")
    a1.set_ylabel("MiB (log scale)")
    a1.set_title("Prepare, %dx%d" % shape)
    a1.legend(fontsize=8)
    none = []
    for k in names:
        pts = sorted((n, r["scratch_bytes"]) for n, r in by_kernel[k].items()
                     if r.get("scratch_bytes") is not None)
        if pts and all(p[1] == 0 for p in pts):
            none.append(k)
        elif pts:
            color, marker = style(k)
            a2.plot([p[0] for p in pts], [max(p[1], 1) / 2.0 ** 10 for p in pts],
                    marker=marker, color=color, label=k)
    if none:
        a2.text(0.02, 0.02, "no allocation per call: " + ", ".join(none),
                transform=a2.transAxes, fontsize=7)
    a2.set_xscale("log", base=2)
    a2.set_yscale("log")
    a2.set_xlabel("tokens N per call")
    a2.set_ylabel("KiB allocated per call (peak; log scale)")
    a2.set_title("Scratch per call, %dx%d, 1 thread" % shape)
    a2.legend(fontsize=7)
    finish(fig, [a1, a2], os.path.join(out, "memory.png"), sub)


def memory_table(run):
    by_kernel, shape = memory_records(run)
    if not by_kernel:
        return ""
    tokens = sorted({n for recs in by_kernel.values() for n in recs})
    rows = []
    for k in sorted(by_kernel):
        r0 = next(iter(by_kernel[k].values()))
        rows.append([k, fmt(r0["prepared_bytes"] / 2.0 ** 20, "%.2f"),
                     fmt(r0["prepare_peak_bytes"] / 2.0 ** 20, "%.2f"),
                     fmt(r0["prepare_peak_bytes"] / r0["prepared_bytes"], "%.3f")] +
                    [fmt(by_kernel[k][n]["scratch_bytes"] / 2.0 ** 10, "%.1f")
                     if n in by_kernel[k] else "" for n in tokens])
    return ("\n## Memory (rsr-bench run), %dx%d, 1 thread\n\n" % shape +
            "Peak during Prepare: heap high-water mark above what was live before it (the input "
            "matrix not counted); scratch: heap high-water mark of one call (quantized "
            "activations and kernel scratch). Both counted by rsr-bench's malloc accounting "
            "(harness/memory.h).\n\n" +
            md_table(["kernel", "prepared MiB", "peak Prepare MiB", "peak / prepared"] +
                     ["scratch KiB, N=%d" % n for n in tokens], rows))


def dram_bandwidth(bw):
    """threads -> DRAM GB/s (largest DRAM buffer measured)."""
    out = {}
    if not bw:
        return out
    for r in bw.get("results", []):
        if r.get("level") != "DRAM":
            continue
        th = r["threads"]
        if th not in out or r["bytes"] > out[th][0]:
            out[th] = (r["bytes"], r["gbps"])
    return {k: v[1] for k, v in out.items()}


def plot_roofline(recs, bw, out, sub):
    dram = dram_bandwidth(bw)
    if not dram:
        note("no DRAM bandwidth (bandwidth.json): roofline figure skipped")
        return
    ths = [t for t in thread_counts(recs) if t in dram]
    if not ths:
        note("no thread count shared by run.json and bandwidth.json: roofline skipped")
        return
    fig, axes = plt.subplots(1, len(ths), figsize=(6.2 * len(ths), 4.6), squeeze=False)
    axes = axes[0]
    for ax, th in zip(axes, ths):
        for name, pts in sorted(by_series(recs, "gbps", th).items()):
            colour, marker = style(name)
            ax.plot([p[0] for p in pts], [p[1] / dram[th] for p in pts], marker=marker,
                    color=colour, label=name)
        ax.axhline(1.0, color="#000000", lw=0.8, ls="--",
                   label="DRAM %.1f GB/s" % dram[th])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (W is n x n)")
        ax.set_ylabel("prepared bytes / time / DRAM bandwidth")
        ax.set_title("Fraction of the DRAM read roofline, %d thread%s\n"
                     "(> 1: weights served from cache)" % (th, "s" if th > 1 else ""),
                     fontsize=10)
    finish(fig, axes, os.path.join(out, "roofline_fraction.png"), sub)


def plot_multitoken(run, out, sub):
    if not run:
        return
    recs = run.get("results", [])
    shapes = defaultdict(set)
    for r in recs:
        shapes[(r["m"], r["k"])].add(r["tokens"])
    multi = [s for s, toks in shapes.items() if len(toks) > 1]
    if not multi:
        note("run.json has one token count only: multi-token figure skipped")
        return
    shape = max(multi, key=lambda s: (s[0] * s[1], s))
    sel = [r for r in recs if (r["m"], r["k"]) == shape]
    # Only thread counts measured at more than one token count make a curve.
    ths = [th for th in thread_counts(sel)
           if len({r["tokens"] for r in sel if r.get("threads") == th}) > 1]
    multi_target = len({r.get("target") for r in sel}) > 1
    fig, axes = plt.subplots(1, len(ths), figsize=(6.2 * len(ths), 4.6), squeeze=False)
    axes = axes[0]
    for ax, th in zip(axes, ths):
        series = defaultdict(list)
        for r in sel:
            if r.get("threads") == th:
                series[series_key(r, multi_target)].append(
                    (r["tokens"], r["tokens"] / (r["median_ms"] * 1e-3)))
        roofs = defaultdict(list)
        for r in sel:
            if r.get("threads") == th and r.get("compute_roof_gmacs") and r["tokens"] > 1:
                roofs[series_key(r, multi_target)].append(
                    (r["tokens"], r["compute_roof_gmacs"] * 1e9 / (r["m"] * r["k"])))
        for name, pts in sorted(series.items()):
            pts.sort()
            colour, marker = style(name)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                    color=colour, label=name)
            if roofs.get(name):
                rp = sorted(roofs[name])
                ax.plot([p[0] for p in rp], [p[1] for p in rp], ls="--", lw=0.9,
                        color=colour, alpha=0.7)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("tokens per call (N); dashed: the method's compute roof (N > 1)")
        ax.set_ylabel("tokens per second")
        ax.set_title("Multi-token throughput, %dx%d, %d thread%s"
                     % (shape[0], shape[1], th, "s" if th > 1 else ""))
    finish(fig, axes, os.path.join(out, "multitoken.png"), sub)


def best_target_records(recs):
    """One record per kernel, shape, N and threads: the fastest target's."""
    by = defaultdict(list)
    for r in recs:
        by[(r["kernel"], r["m"], r["k"], r["tokens"], r["threads"])].append(r)
    return [min(v, key=lambda r: r["median_ms"]) for v in by.values()]


def memory_roofs(bw, threads):
    """[(label, GB/s)] of the L3 probe and the largest DRAM probe."""
    out = {}
    for r in (bw or {}).get("results", []):
        if r.get("threads") != threads or r.get("level") not in ("L3", "DRAM"):
            continue
        if r["level"] not in out or r["bytes"] > out[r["level"]][0]:
            out[r["level"]] = (r["bytes"], r["gbps"])
    return [("%s %s" % (lvl, mib_label(b)), g) for lvl, (b, g) in sorted(out.items())]


def plot_compute_roofline(recs, bw, out, sub):
    recs = [r for r in best_target_records(recs)
            if r.get("compute_roof_gmacs") and r.get("gmacs")]
    if not recs:
        note("no records with compute_roof_gmacs (run --roofline): roofline figure skipped")
        return
    kernels = [k for k in VERDICT_KERNELS if any(r["kernel"] == k for r in recs)]
    ths = thread_counts(recs)
    fig, axes = plt.subplots(len(ths), len(kernels), figsize=(3.6 * len(kernels), 3.4 * len(ths)),
                             squeeze=False)
    shapes = sorted({(r["m"], r["k"]) for r in recs})
    markers = "osD^vP*Xh<>p8d"
    shape_marker = {sh: markers[i % len(markers)] for i, sh in enumerate(shapes)}
    flat = []
    for i, th in enumerate(ths):
        for j, k in enumerate(kernels):
            ax = axes[i][j]
            sel = [r for r in recs if r["kernel"] == k and r["threads"] == th]
            if not sel:
                ax.set_visible(False)
                continue
            flat.append(ax)
            xs = [r["m"] * r["k"] * r["tokens"] / r["prepared_bytes"] for r in sel]
            lo, hi = min(xs) / 2, max(xs) * 2
            for op in sorted({r["compute_roof_op"] for r in sel}):
                roof = max(r["compute_roof_gmacs"] for r in sel if r["compute_roof_op"] == op)
                ax.plot([lo, hi], [roof, roof], color="#000000", lw=1,
                        ls="-" if op != "byte_shuffle" else ":", label="%s roof" % op)
            for lab, g in memory_roofs(bw, th):
                ax.plot([lo, hi], [g * lo, g * hi], color="#888888", lw=0.8,
                        ls="--" if lab.startswith("DRAM") else "-.", label=lab + " GB/s")
            for shape in shapes:
                pts = sorted((r["m"] * r["k"] * r["tokens"] / r["prepared_bytes"], r["gmacs"],
                              r["tokens"]) for r in sel if (r["m"], r["k"]) == shape)
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], ls="", color=style(k)[0],
                        marker=shape_marker[shape], label="%dx%d" % shape)
                for x, y, n in pts:
                    ax.annotate(str(n), (x, y), fontsize=6, xytext=(2, 2),
                                textcoords="offset points")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("MACs per weight byte (N / bytes per weight)", fontsize=8)
            ax.set_ylabel("GMAC/s (M K N / time)", fontsize=8)
            ax.set_title("%s, %d thread%s (labels: N)" % (k, th, "s" if th > 1 else ""),
                         fontsize=9)
    finish(fig, flat, os.path.join(out, "roofline.png"), sub)


def verdict_table(recs):
    """Per shape, threads and N: the fastest SIMD method, its margin, and every
    method's time with its fraction of its own roof."""
    recs = [r for r in best_target_records(recs) if r["kernel"] in VERDICT_KERNELS]
    multi = {(r["m"], r["k"]) for r in recs if r["tokens"] > 1}
    if not multi:
        return ""
    kernels = [k for k in VERDICT_KERNELS if any(r["kernel"] == k for r in recs)]
    out = ["\n## Verdict per tokens per call (rsr-bench run)\n\n"
           "Fastest method per N (median ms, best SIMD target), by how much it beats the "
           "runner-up, and each method's time with its fraction of its own compute roof "
           "(c: `rsr-bench roofline`; int8 dot lanes for i2s and 5/8 of them for tq5 (its byte permutes share the dot pipes), byte shuffles (N = 1) or int16 "
           "adds (N > 1) per 2 or 3 weights for tl1/tl2, int16 adds per k rows for rsrpp-simd, "
           "f32 FMA lanes for dense-f32) and, for N = 1, of the read bandwidth of the smallest "
           "probe that holds the weights (bw).\n"]
    for shape in sorted(multi):
        for th in sorted({r["threads"] for r in recs if (r["m"], r["k"]) == shape}):
            rows = []
            for n in sorted({r["tokens"] for r in recs
                             if (r["m"], r["k"]) == shape and r["threads"] == th}):
                cell = {r["kernel"]: r for r in recs
                        if (r["m"], r["k"]) == shape and r["threads"] == th and r["tokens"] == n}
                ranked = sorted(cell.values(), key=lambda r: r["median_ms"])
                win = ranked[0]
                by = (ranked[1]["median_ms"] / win["median_ms"]) if len(ranked) > 1 else None
                row = [str(n), win["kernel"],
                       (fmt(by, "%.2fx") + " over " + ranked[1]["kernel"]) if by else ""]
                for k in kernels:
                    r = cell.get(k)
                    if not r:
                        row.append("")
                        continue
                    parts = [fmt(r["median_ms"], "%.3f")]
                    if r.get("compute_roof_fraction") is not None:
                        parts.append("%.0f%% c" % (100 * r["compute_roof_fraction"]))
                    if n == 1 and r.get("bandwidth_fraction") is not None:
                        parts.append("%.0f%% bw" % (100 * r["bandwidth_fraction"]))
                    row.append(" · ".join(parts))
                rows.append(row)
            out.append("\n%dx%d, %d thread%s:\n\n" % (shape[0], shape[1], th,
                                                      "s" if th > 1 else ""))
            out.append(md_table(["N", "fastest", "by"] + kernels, rows))
    return "".join(out)


def roofline_table(roof):
    recs = (roof or {}).get("results", [])
    if not recs:
        return ""
    ghz = next((r["giga_per_s"] for r in recs if r["op"] == "clock" and r["threads"] == 1), None)
    out = ["\n## Compute roof (rsr-bench roofline)\n\n" + context_line(roof) + "\n\n"
           "Peak rate of each instruction class (12 independent chains on registers), 1e9 units "
           "per second; per cycle: per core and clock cycle at the measured clock%s.\n\n"
           % (" (%.2f GHz)" % ghz if ghz else "")]
    rows = []
    for r in recs:
        pc = (r["giga_per_s"] / r["threads"] / ghz) if ghz and r["op"] != "clock" else None
        rows.append([r["op"], r["target"], str(r["threads"]), fmt(r["giga_per_s"], "%.1f"),
                     fmt(pc, "%.1f"), r["unit"], r["instruction"]])
    out.append(md_table(["op", "target", "threads", "G/s", "per cycle", "unit", "instruction"],
                        rows))
    return "".join(out)


def plot_bandwidth(bw, out, sub):
    if not bw or not bw.get("results"):
        return
    recs = bw["results"]
    levels = []
    for r in recs:
        lab = "%s\n%s" % (r["level"], mib_label(r["bytes"]))
        if lab not in levels:
            levels.append(lab)
    ths = sorted({r["threads"] for r in recs})
    width = 0.8 / len(ths)
    fig, ax = plt.subplots(figsize=(7, 4.4))
    for i, th in enumerate(ths):
        xs, ys = [], []
        for r in recs:
            if r["threads"] != th:
                continue
            xs.append(levels.index("%s\n%s" % (r["level"], mib_label(r["bytes"]))) + i * width)
            ys.append(r["gbps"])
        bars = ax.bar(xs, ys, width=width, label="%d thread%s" % (th, "s" if th > 1 else ""))
        for b in bars:
            ax.text(b.get_x() + b.get_width() / 2, b.get_height(), "%.0f" % b.get_height(),
                    ha="center", va="bottom", fontsize=7)
    ax.set_xticks([j + width * (len(ths) - 1) / 2 for j in range(len(levels))])
    ax.set_xticklabels(levels)
    ax.set_ylabel("read bandwidth (GB/s, median)")
    ax.set_title("Read bandwidth (int64 SIMD sum)")
    finish(fig, [ax], os.path.join(out, "bandwidth.png"), sub)


def mib_label(b):
    m = b / float(1 << 20)
    return "%g MiB" % m if m >= 1 else "%g KiB" % (b / 1024.0)


def plot_paper(paper, out, sub):
    """Left: speed-up over the naive loop vs n, the paper's against ours
    (faithful and lean -O0). Right: ms vs n, the -O0 paper methods beside the
    -O3 registry kernels of the modern table."""
    rows = (paper or {}).get("faithful", [])
    modern = (paper or {}).get("modern", [])
    if not rows and not modern:
        return
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8))
    for key, lab, colour in (("rsr", "naive/RSR", "#ff7f0e"), ("rsrpp", "naive/RSR++", "#d62728")):
        pub = [(r["n"], r["paper_speedup_naive_over_" + key]) for r in rows
               if "paper_speedup_naive_over_" + key in r]
        if pub:
            ax.plot([p[0] for p in pub], [p[1] for p in pub], marker="s", ls="--", color=colour,
                    alpha=0.6, label=lab + " (paper)")
        for suffix, ls, marker, what in (("", "-", "o", "faithful -O0"),
                                         ("_lean", ":", "v", "lean -O0")):
            # Exact-mean ratios: the integer means of small n are quantised.
            pts = [(r["n"], r.get("speedup_naive_over_" + key + suffix + "_exact")) for r in rows]
            pts = [p for p in pts if p[1] is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, ls=ls,
                        color=colour, label="%s (ours, %s, exact means)" % (lab, what))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (binary n x n matrix)")
    ax.set_ylabel("speed-up over the -O0 naive loop (x)")
    ax.set_title("RSR paper: speed-ups, paper vs ours (-O0)")
    for key, lab, colour in (("naive", "naive loop -O0", "#7f7f7f"), ("rsr", "RSR -O0", "#ff7f0e"),
                             ("rsrpp", "RSR++ -O0", "#d62728")):
        pts = [(r["n"], r[key + "_ms"]) for r in rows if key + "_ms" in r]
        if pts:
            bx.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ls="--", color=colour,
                    label=lab + " (faithful)")
    for kernel in sorted({r["kernel"] for r in modern}):
        pts = sorted((r["n"], r["median_ms"]) for r in modern if r["kernel"] == kernel)
        colour, marker = style(kernel)
        bx.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, color=colour,
                label=kernel + " -O3")
    bx.set_xscale("log", base=2)
    bx.set_yscale("log")
    bx.set_xlabel("n (binary n x n matrix)")
    bx.set_ylabel("time per product (ms; -O0: mean, -O3: median)")
    bx.set_title("The paper's -O0 methods vs modern -O3 kernels, 1 thread")
    finish(fig, [ax, bx], os.path.join(out, "paper_faithful.png"), sub)


# Operation groups of rsr-bench model, in stacking order, with colours: the
# ternary projections in blues (what a kernel speeds up), attention in
# oranges, the rest in greens and greys.
MODEL_OPS = [
    ("qkv_proj", "#08519c"), ("o_proj", "#3182bd"), ("gate_up_proj", "#6baed6"),
    ("down_proj", "#bdd7e7"), ("attn_scores", "#e6550d"), ("softmax", "#fd8d3c"),
    ("attn_values", "#fdae6b"), ("rmsnorm", "#31a354"), ("rope_kv", "#74c476"),
    ("ffn_act", "#a1d99b"), ("residual", "#c7e9c0"), ("other", "#bdbdbd"),
]


def model_records(model):
    return (model or {}).get("results", [])


def model_phases(recs):
    """[(label, tokens)]: decode (1) and the largest prefill."""
    toks = sorted({r["tokens"] for r in recs})
    out = []
    if 1 in toks:
        out.append(("decode", 1))
    if toks and toks[-1] > 1:
        out.append(("prefill %d tokens" % toks[-1], toks[-1]))
    return out


def kernel_order(recs):
    order = []
    for r in recs:
        if r["kernel"] not in order:
            order.append(r["kernel"])
    return order


def plot_model_breakdown(model, out, sub):
    recs = model_records(model)
    if not recs:
        return
    th = min(r["threads"] for r in recs)
    recs = [r for r in recs if r["threads"] == th]
    ctxs = sorted({r["context"] for r in recs})
    phases = model_phases(recs)
    kernels = kernel_order(recs)
    fig, axes = plt.subplots(len(phases), len(ctxs), squeeze=False,
                             figsize=(max(5.0, 0.75 * len(kernels) + 2.0) * len(ctxs),
                                      3.9 * len(phases)))
    for i, (label, n) in enumerate(phases):
        for j, ctx in enumerate(ctxs):
            ax = axes[i][j]
            sel = {r["kernel"]: r for r in recs if r["context"] == ctx and r["tokens"] == n}
            names = [k for k in kernels if k in sel]
            bottom = [0.0] * len(names)
            for op, colour in MODEL_OPS:
                vals = []
                for k in names:
                    r = sel[k]
                    ms = r["other_ms"] if op == "other" else r["ops_ms"].get(op, 0.0)
                    vals.append(ms / r["layer_ms"])
                ax.bar(names, vals, bottom=bottom, color=colour,
                       label=op if (i, j) == (0, 0) else None)
                bottom = [b + v for b, v in zip(bottom, vals)]
            for x, k in enumerate(names):
                r = sel[k]
                ax.text(x, 1.01, "%s ms\nf=%.2f" % (fmt(r["layer_ms"]), r["f"]), ha="center",
                        va="bottom", fontsize=7)
            ax.set_ylim(0, 1.18)
            ax.set_ylabel("share of layer time")
            ax.set_title("%s, context %d, %d thread%s" % (label, ctx, th, "s" if th > 1 else ""),
                         fontsize=10)
            plt.setp(ax.get_xticklabels(), rotation=25, ha="right", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="center right", fontsize=8)
    fig.suptitle("%s: one decoder layer per kernel (projections blue, attention orange)"
                 % model.get("model", {}).get("name", "?"), fontsize=11)
    fig.text(0.5, 0.005, sub, ha="center", va="bottom", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 0.86, 0.97))
    path = os.path.join(out, "model_breakdown.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print("wrote " + path)


def plot_model_amdahl(model, out, sub):
    recs = model_records(model)
    if not recs or len({r["context"] for r in recs}) < 1:
        return
    th = min(r["threads"] for r in recs)
    recs = [r for r in recs if r["threads"] == th]
    phases = model_phases(recs)
    fig, axes = plt.subplots(1, 2, figsize=(12.4, 4.6))
    for label, n in phases:
        ls = "-" if n == 1 else "--"
        for k in kernel_order(recs):
            pts = sorted((r["context"], r) for r in recs if r["kernel"] == k and r["tokens"] == n)
            if not pts:
                continue
            colour, marker = style(k)
            xs = [p[0] for p in pts]
            axes[0].plot(xs, [p[1]["f"] for p in pts], ls=ls, marker=marker, color=colour,
                         label="%s, %s" % (k, label))
            if k != "dense-f32" and all("gain_vs_dense_f32" in p[1] for p in pts):
                axes[1].plot(xs, [p[1]["gain_vs_dense_f32"] for p in pts], ls=ls, marker=marker,
                             color=colour, label="%s, %s" % (k, label))
        ceil = sorted((r["context"], r["gain_ceiling_vs_dense_f32"]) for r in recs
                      if r["kernel"] == "dense-f32" and r["tokens"] == n
                      and "gain_ceiling_vs_dense_f32" in r)
        if ceil:
            axes[1].plot([c[0] for c in ceil], [c[1] for c in ceil], ls=ls, color="#000000",
                         lw=1.5, label="ceiling 1/(1-f) of dense-f32, %s" % label)
    axes[0].set_ylabel("f: projection share of layer time")
    axes[0].set_ylim(0, 1.05)
    axes[0].set_title("Ternary projections' share of a layer")
    axes[1].set_ylabel("modelled tokens/s over dense-f32 (x)")
    axes[1].set_yscale("log")
    axes[1].set_title("End-to-end gain (layers + f16 head) vs Amdahl's ceiling")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("context (tokens in the KV cache)")
    finish(fig, list(axes), os.path.join(out, "model_amdahl.png"), sub)


# ------------------------------------------------------------------ tables

def fmt(v, spec=None):
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if spec:
            return spec % v
        a = abs(v)
        return "%.0f" % v if a >= 100 else "%.1f" % v if a >= 10 else "%.2f" % v if a >= 1 else "%.3g" % v
    return str(v)


def md_table(head, rows):
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i < 2 else "--:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def targets_table(targets):
    """Per-target comparison from targets.json (rsr-bench run --target all)."""
    recs = targets.get("results", [])
    order = []
    for r in recs:
        if r["target"] not in order:
            order.append(r["target"])
    out = ["\n## SIMD targets (rsr-bench run --target all)\n\n" + context_line(targets) + "\n"
           "\nMedian ms; each column forces one Highway target.\n"]
    for n in sorted({r["tokens"] for r in recs}):
        for shape in sorted({(r["m"], r["k"]) for r in recs if r["tokens"] == n}):
            for th in sorted({r["threads"] for r in recs}):
                cells = defaultdict(dict)
                for r in recs:
                    if (r["m"], r["k"]) == shape and r["threads"] == th and r["tokens"] == n:
                        cells[r["kernel"]][r["target"]] = r["median_ms"]
                if not cells:
                    continue
                rows = [[k] + [fmt(cells[k].get(t)) for t in order] for k in cells]
                out.append("\n%dx%d, N = %d, %d thread%s:\n\n"
                           % (shape[0], shape[1], n, th, "s" if th > 1 else ""))
                out.append(md_table(["kernel"] + order, rows))
    return "".join(out)


def model_tables(model):
    recs = model_records(model)
    m = model.get("model", {})
    out = ["\n## Model view (rsr-bench model)\n\n" + context_line(model) + "\n",
           "\n%s: hidden %s, ffn %s, %s layers, %s/%s heads of %s, %s%s, vocab %s (%s). "
           "Synthetic ternary weights; KV cache %s; output head %s. Per-layer times are medians "
           "over passes through copies of the layer that together exceed 3x the L3, as a real "
           "model's layers do (`layer_copies` in model.json).\n"
           % (m.get("name"), m.get("hidden"), m.get("ffn"), m.get("layers"), m.get("heads"),
              m.get("kv_heads"), m.get("head_dim"), m.get("activation"),
              ", sub-norms" if m.get("sub_norms") else "", m.get("vocab"), m.get("source"),
              model.get("kv_cache_precision", "?"), model.get("head_precision", "?"))]
    heads = ", ".join("%s ms (%d thread%s)" % (fmt(h["ms"]), h["threads"],
                                                "s" if h["threads"] > 1 else "")
                      for h in model.get("head", []))
    out.append("\nOutput head per token: %s.\n" % heads)
    out.append("\nf = projection share of layer time; bound = 1/(1-f); model = layers x layer + "
               "head; tok/s: decode tokens/s, or prefill tokens/s for N > 1; gain: tokens/s over "
               "dense-f32; Amdahl: the gain dense-f32's split predicts from the projection "
               "speed-up alone; ceiling: 1/(1-f_model) of dense-f32.\n\n")
    key = lambda r: (r["tokens"], r["threads"], r["context"])
    rows = []
    for r in sorted(recs, key=key):
        rows.append([r["kernel"], r["phase"] + ("" if r["tokens"] == 1 else " %d" % r["tokens"]),
                     str(r["context"]), str(r["threads"]), fmt(r["layer_ms"], "%.3f"),
                     fmt(r["projection_ms"], "%.3f"), fmt(r["f"], "%.3f"),
                     fmt(r["amdahl_bound"], "%.2f"), fmt(r["tokens_per_s"], "%.1f"),
                     fmt(r["f_model"], "%.3f"), fmt(r["amdahl_bound_model"], "%.2f"),
                     fmt(r.get("gain_vs_dense_f32"), "%.2fx"),
                     fmt(r.get("amdahl_predicted_gain"), "%.2fx"),
                     fmt(r.get("gain_ceiling_vs_dense_f32"), "%.2fx")])
    out.append(md_table(["kernel", "phase", "context", "threads", "layer ms", "proj ms", "f",
                         "1/(1-f)", "tok/s", "f (model)", "1/(1-f) (model)", "gain",
                         "Amdahl", "ceiling"], rows))
    ops = [o for o, _ in MODEL_OPS]
    out.append("\nPer-operation breakdown, ms per layer:\n\n")
    rows = []
    for r in sorted(recs, key=key):
        rows.append([r["kernel"], r["phase"] + ("" if r["tokens"] == 1 else " %d" % r["tokens"]),
                     str(r["context"]), str(r["threads"])] +
                    [fmt(r["other_ms"] if o == "other" else r["ops_ms"].get(o), "%.4f")
                     for o in ops] + [fmt(r.get("act_quant_ms"), "%.4f")])
    out.append(md_table(["kernel", "phase", "context", "threads"] + ops +
                        ["(act quant, inside proj)"], rows))
    return "".join(out)


def tables(run, bw, paper, targets=None, model=None, roof=None):
    out = ["# Results\n", "Generated by plots/plot.py from the JSON files in this folder; "
           "do not edit by hand.\n"]
    dram = dram_bandwidth(bw)
    if bw:
        out.append("\n## Read bandwidth (rsr-bench bandwidth)\n\n" + context_line(bw) + "\n")
        rows = [[r["level"], mib_label(r["bytes"]), str(r["threads"]), fmt(r["gbps"], "%.1f"),
                 fmt(r["gbps_min"], "%.1f"), fmt(r["gbps_max"], "%.1f"), str(r["reps"])]
                for r in bw.get("results", [])]
        out.append("\n" + md_table(["level", "buffer", "threads", "GB/s (median)", "min", "max",
                                     "reps"], rows))
    if run:
        out.append("\n## Kernels (rsr-bench run)\n\n" + context_line(run) + "\n")
        rows = []
        for r in sorted(run.get("results", []), key=lambda r: (r["m"] * r["k"], r["m"], r["tokens"],
                                                               r["threads"], r["kernel"])):
            frac = r.get("bandwidth_fraction")
            if frac is None and r.get("threads") in dram:
                frac = r["gbps"] / dram[r["threads"]]
            probe = ("%s %s" % (r["bandwidth_roof_level"],
                                mib_label(r["bandwidth_roof_mib"] * 2 ** 20))
                     if r.get("bandwidth_roof_level") else "")
            rows.append(["%dx%d" % (r["m"], r["k"]), r["kernel"], r.get("target", ""),
                         str(r["tokens"]), str(r["threads"]), fmt(r["median_ms"]),
                         fmt(r.get("speedup_vs_dense_f32"), "%.2fx"),
                         fmt(r.get("bits_per_weight"), "%.2f"), fmt(r.get("gbps"), "%.1f"),
                         fmt(frac, "%.2f"), probe, fmt(r.get("gmacs"), "%.1f"),
                         fmt(r.get("compute_roof_fraction"), "%.2f"),
                         fmt(r.get("cycles_per_kweight"), "%.1f")])
        out.append("\nGB/s: prepared bytes / median time; of BW: over the smallest read-bandwidth "
                   "probe that holds the weights (probe column); GMAC/s: M K N / time; of roof: "
                   "over the method's compute roof (Compute roof section); cyc/1k w: core cycles "
                   "per 1000 weight x token products at the measured clock.\n")
        out.append("\n" + md_table(["M x K", "kernel", "target", "tokens", "threads", "median ms",
                                     "vs dense-f32", "bits/w", "GB/s", "of BW", "probe",
                                     "GMAC/s", "of roof", "cyc/1k w"], rows))
    if run:
        out.append(verdict_table(run.get("results", [])))
    out.append(roofline_table(roof))
    if run:
        out.append(memory_table(run))
    if paper:
        out.append("\n## RSR paper reproduction (rsr-bench paper)\n\n" + context_line(paper) + "\n")
        f = paper.get("faithful", [])
        if f:
            def ms(r, key):
                if key + "_ms" not in r:
                    return ""
                return "%s (%s)" % (fmt(r.get(key + "_int_ms")), fmt(r[key + "_ms"]))

            def paper_ms(r):
                if "paper_naive_ms" not in r:
                    return ""
                return " / ".join("%.0f" % r["paper_%s_ms" % k] for k in ("naive", "rsr", "rsrpp"))

            rows = [[str(r["n"]), str(r["k"]), ms(r, "naive"), ms(r, "rsr"), ms(r, "rsrpp"),
                     fmt(r.get("speedup_naive_over_rsr"), "%.1fx"),
                     fmt(r.get("speedup_naive_over_rsrpp"), "%.1fx"), paper_ms(r),
                     fmt(r.get("paper_speedup_naive_over_rsr"), "%.1fx"),
                     fmt(r.get("paper_speedup_naive_over_rsrpp"), "%.1fx"),
                     ms(r, "rsr_lean"), ms(r, "rsrpp_lean"),
                     fmt(r.get("speedup_naive_over_rsrpp_lean"), "%.1fx"), fmt(r.get("exact"))]
                    for r in f]
            out.append("\n### Faithful: the authors' code paths and protocol (-O0)\n\n"
                       "One process per method and size, a fresh random matrix in each, %s "
                       "runs; ms as the authors' code prints them (each run truncated to whole "
                       "ms, integer mean) with the exact mean in parentheses; speed-ups from "
                       "the integer means, as in the paper. \"lean -O0\": our leaner "
                       "transcription (local accumulators, no copies).\n\n"
                       % paper.get("conditions", {}).get("runs", "?"))
            out.append(md_table(["n", "k", "naive ms", "RSR ms", "RSR++ ms", "naive/RSR",
                                 "naive/RSR++", "paper ms (naive / RSR / RSR++)",
                                 "paper naive/RSR", "paper naive/RSR++", "lean RSR ms",
                                 "lean RSR++ ms", "lean naive/RSR++", "exact"], rows))
        m = paper.get("modern", [])
        if m:
            rows = [[str(r["n"]), r["kernel"], r.get("target", ""), fmt(r["median_ms"]),
                     fmt(r.get("speedup_vs_paper_naive"), "%.1fx"),
                     fmt(r.get("speedup_vs_dense_naive"), "%.1fx"),
                     fmt(r.get("speedup_vs_dense_f32"), "%.2fx"),
                     fmt(r.get("bits_per_weight"), "%.2f")] for r in m]
            out.append("\n### Modern (-O3, SIMD where the kernel has it, 1 thread, median)\n\n"
                       "Binary n x n matrices of the same kind; \"vs paper naive\": speed-up "
                       "over the faithful -O0 naive loop above.\n\n")
            out.append(md_table(["n", "kernel", "target", "median ms", "vs paper naive",
                                 "vs dense-naive", "vs dense-f32", "bits/w"], rows))
        mp = paper.get("memory_paper", [])
        if mp:
            rows = [[str(r["n"]), fmt(r["dense_int64_bytes"] / 2.0 ** 20, "%.2f"), str(r["k"]),
                     fmt(r["index_int64_bytes"] / 2.0 ** 20, "%.2f"), fmt(r["ratio"], "%.2fx")]
                    for r in mp]
            out.append("\n### Memory, the paper's int64 comparison\n\n")
            out.append(md_table(["n", "dense int64 MiB", "k", "index int64 MiB", "ratio"], rows))
        mk = paper.get("memory_kernels", [])
        if mk:
            rows = [[str(r["n"]), r["kernel"], fmt(r["prepared_bytes"] / 2.0 ** 20, "%.2f"),
                     fmt(r["bits_per_weight"], "%.3f")] for r in mk]
            out.append("\n### Memory of the registry kernels (PreparedBytes)\n\n")
            out.append(md_table(["n", "kernel", "prepared MiB", "bits/weight"], rows))
        notes = paper.get("notes", [])
        if notes:
            out.append("\nNotes:\n\n" + "".join("* %s\n" % n for n in notes))
    if targets:
        out.append(targets_table(targets))
    if model and model_records(model):
        out.append(model_tables(model))
    return "".join(out)


# ------------------------------------------------------------------ compare

def compare_records(folder):
    """run.json + tokens.json records of one results folder, and its context."""
    docs = [load(os.path.join(folder, f)) for f in ("run.json", "tokens.json")]
    recs, ctx = {}, None
    for d in docs:
        if not d:
            continue
        ctx = ctx or d
        for r in d.get("results", []):
            if r.get("median_ms"):
                recs[(r["kernel"], r["m"], r["k"], r["tokens"], r["threads"])] = r
    return recs, ctx


def cpu_line(doc):
    c = (doc or {}).get("context", {})
    fam = c.get("cpu_family")
    cpu = c.get("cpu_model", "?")
    if fam is not None and fam >= 0:
        cpu += " (%s family %s model %s)" % (c.get("cpu_uarch") or c.get("cpu_vendor", "?"), fam,
                                            c.get("cpu_model_number"))
    return "%s: %s, %s, git %s, %s" % (c.get("machine_id", "?"), cpu, c.get("compiler", "?"),
                                       c.get("git_revision", "?"), c.get("date", "?"))


def compare(a_dir, b_dir, out):
    a, a_doc = compare_records(a_dir)
    b, b_doc = compare_records(b_dir)
    if not a or not b:
        print("plot.py: error: --compare: no run.json/tokens.json records in '%s'"
              % (a_dir if not a else b_dir), file=sys.stderr)
        return 2
    keys = sorted(set(a) & set(b), key=lambda k: (k[3], k[4], k[1] * k[2], k[1], k[0]))
    if not keys:
        print("plot.py: error: --compare: no kernel x shape x tokens x threads in common",
              file=sys.stderr)
        return 2
    name_a, name_b = (os.path.basename(os.path.normpath(d)) for d in (a_dir, b_dir))
    head = ["kernel", "M x K", "tokens", "threads", "A target", "B target", "A ms", "B ms", "B / A"]
    rows = []
    for key in keys:
        ra, rb = a[key], b[key]
        rows.append([key[0], "%dx%d" % (key[1], key[2]), str(key[3]), str(key[4]),
                     ra.get("target", ""), rb.get("target", ""), fmt(ra["median_ms"]),
                     fmt(rb["median_ms"]), "%.2f" % (rb["median_ms"] / ra["median_ms"])])
    # Geometric mean of B / A per kernel over everything both measured.
    per_kernel = defaultdict(list)
    for key in keys:
        per_kernel[key[0]].append(math.log(b[key]["median_ms"] / a[key]["median_ms"]))
    geo = [[k, str(len(v)), "%.2f" % math.exp(sum(v) / len(v))] for k, v in sorted(per_kernel.items())]
    text = ("# %s vs %s\n\nGenerated by `plots/plot.py --compare %s %s`; median times, B / A > 1 "
            "means slower on B.\n\n* A = %s\n* B = %s\n\n" % (name_a, name_b, a_dir, b_dir,
                                                             cpu_line(a_doc), cpu_line(b_doc))
            + md_table(head, rows) + "\nGeometric mean of B / A per kernel:\n\n"
            + md_table(["kernel", "cases", "B / A"], geo))
    print(text)
    out = out or os.path.join("plots", "compare-%s-vs-%s" % (name_a, name_b))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write(text)
    print("wrote " + os.path.join(out, "compare.md"))

    groups = sorted({(k[3], k[4]) for k in keys})
    fig, axes = plt.subplots(len(groups), 1, squeeze=False,
                             figsize=(9, 1.2 + 2.6 * len(groups)))
    for ax, (tok, th) in zip(axes[:, 0], groups):
        gk = [k for k in keys if (k[3], k[4]) == (tok, th)]
        kernels = sorted({k[0] for k in gk})
        shapes = sorted({(k[1], k[2]) for k in gk}, key=lambda s: (s[0] * s[1], s))
        grid = [[float("nan")] * len(shapes) for _ in kernels]
        for k in gk:
            grid[kernels.index(k[0])][shapes.index((k[1], k[2]))] = math.log2(
                b[k]["median_ms"] / a[k]["median_ms"])
        im = ax.imshow(grid, cmap="coolwarm", vmin=-1.5, vmax=1.5, aspect="auto")
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if not math.isnan(v):
                    ax.text(j, i, "%.2f" % 2 ** v, ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(shapes)))
        ax.set_xticklabels(["%dx%d" % s for s in shapes], fontsize=7, rotation=30, ha="right")
        ax.set_yticks(range(len(kernels)))
        ax.set_yticklabels(kernels, fontsize=8)
        ax.set_title("%d token%s, %d thread%s: time on B / time on A" % (
            tok, "s" if tok > 1 else "", th, "s" if th > 1 else ""), fontsize=9)
        fig.colorbar(im, ax=ax, label="log2(B / A)")
    fig.text(0.5, 0.005, "A = %s\nB = %s" % (cpu_line(a_doc), cpu_line(b_doc)), ha="center",
             va="bottom", fontsize=6, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path = os.path.join(out, "compare.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print("wrote " + path)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", help="folder with run/bandwidth/paper .json")
    ap.add_argument("--out", help="folder for the PNG figures")
    ap.add_argument("--tables", default=None,
                    help="Markdown tables file (default <results>/tables.md; '-' = none)")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"),
                    help="two results folders: B's time over A's per kernel x shape")
    args = ap.parse_args()
    if args.compare:
        for d in args.compare:
            if not os.path.isdir(d):
                print("plot.py: error: --compare: '%s' is not a folder" % d, file=sys.stderr)
                return 2
        return compare(args.compare[0], args.compare[1], args.out)
    if not args.results or not args.out:
        print("plot.py: error: --results and --out are required (or --compare A B)",
              file=sys.stderr)
        return 2
    if not os.path.isdir(args.results):
        print("plot.py: error: --results: '%s' is not a folder" % args.results, file=sys.stderr)
        return 2
    run = load(os.path.join(args.results, "run.json"))
    bw = load(os.path.join(args.results, "bandwidth.json"))
    paper = load(os.path.join(args.results, "paper.json"))
    model = load(os.path.join(args.results, "model.json"))
    if not (run or bw or paper or model):
        print("plot.py: error: --results: no run.json, bandwidth.json, paper.json or model.json "
              "in '%s'"
              % args.results, file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    sub = context_line(run or paper or bw or model)
    recs = square_gemv_records(run, paper)
    if recs:
        plot_time_vs_n(recs, args.out, sub)
        plot_speedup(recs, args.out, sub)
        plot_roofline(recs, bw, args.out, sub)
    else:
        note("no single-token square results: time, speed-up and roofline figures skipped")
    plot_bits(run, paper, args.out, sub)
    # tokens.json (rsr-bench run over N = 8..128) joins run.json's N = 1
    # records of the same shapes in the multi-token figure.
    tokens = load(os.path.join(args.results, "tokens.json"))
    multi = dict(run or {})
    multi["results"] = (run or {}).get("results", []) + (tokens or {}).get("results", [])
    plot_multitoken(multi if multi["results"] else None, args.out, sub)
    plot_memory(multi if multi["results"] else None, args.out, sub)
    plot_compute_roofline(multi["results"], bw, args.out, sub)
    plot_bandwidth(bw, args.out, context_line(bw))
    plot_paper(paper, args.out, context_line(paper))
    plot_model_breakdown(model, args.out, context_line(model))
    plot_model_amdahl(model, args.out, context_line(model))
    tpath = args.tables or os.path.join(args.results, "tables.md")
    if tpath != "-":
        with open(tpath, "w") as f:
            targets = load(os.path.join(args.results, "targets.json"))
            prefill = load(os.path.join(args.results, "targets-prefill.json"))
            if targets and prefill:
                targets = dict(targets)
                targets["results"] = targets.get("results", []) + prefill.get("results", [])
            roof = load(os.path.join(args.results, "roofline.json"))
            f.write(tables(multi if multi["results"] else run, bw, paper, targets, model, roof))
        print("wrote " + tpath)
    return 0


if __name__ == "__main__":
    sys.exit(main())
