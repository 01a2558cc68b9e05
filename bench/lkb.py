#!/usr/bin/python3
"""bench/lkb.py - what bench/run.sh does with the figures (standard library only).

    lkb.py tee CSV             reads CSV lines on stdin, appends them to CSV and prints
                               each as a readable line with its ratios
    lkb.py check CSV OUT       the issue-4 target checker: each target as a ratio from
                               the figures of CSV, met / NOT met; table also to OUT
    lkb.py plot CSV PNG        throughput chart with gnuplot (skipped without it)
    lkb.py report CSV TARGETS MACHINE OUT
                               writes RESULTS.md (machine, command, targets, tables)

Ratios: ours/limit is our time over the limit pass's time on the same buffer size
(read pass for forward ops, copy pass for ops that also write rows x cols); peer/ours
is the peer's time over ours at the same thread count (> 1: we are faster).
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time

GPT = (2048, 50257)

# Which limit pass bounds each of our ops.
LIMIT_OF = {
    "ce_fwd": "read",
    "ce_fused_inplace": "copy",
    "ce_fused_grad": "copy",
    "log_softmax": "copy",
    "mse": "read_xy",
    "bce_logits": "read_xy",
}

# Which of our ops each peer measurement is compared with.
OURS_OF = {
    ("torch", "ce_fwd"): "ce_fwd",
    ("torch", "ce_fwd_bwd"): "ce_fused_inplace",
    ("torch", "log_softmax"): "log_softmax",
    ("torch", "mse"): "mse",
    ("torch", "bce_logits"): "bce_logits",
    ("onednn", "log_softmax"): "log_softmax",
    ("numpy", "ce_fwd"): "ce_fwd",
    ("numpy", "log_softmax"): "log_softmax",
    ("numpy", "mse"): "mse",
    ("naive", "ce_fwd"): "ce_fwd",
}

OP_LABEL = {
    "read": "read pass",
    "read_xy": "read pass (x,y)",
    "copy": "copy pass",
    "ce_fwd": "CE forward",
    "ce_fused_inplace": "CE fused in place",
    "ce_fused_grad": "CE fused, grad buffer",
    "ce_fwd_bwd": "CE fwd+bwd",
    "log_softmax": "log-softmax",
    "mse": "MSE",
    "bce_logits": "BCE with logits",
}

ROW_ORDER = [
    ("limit", "read"), ("limit", "copy"), ("limit", "read_xy"),
    ("losskit", "ce_fwd"), ("losskit", "ce_fused_inplace"), ("losskit", "ce_fused_grad"),
    ("losskit", "log_softmax"), ("losskit", "mse"), ("losskit", "bce_logits"),
    ("onednn", "log_softmax"),
    ("torch", "ce_fwd"), ("torch", "ce_fwd_bwd"), ("torch", "log_softmax"),
    ("torch", "mse"), ("torch", "bce_logits"),
    ("numpy", "ce_fwd"), ("numpy", "log_softmax"), ("numpy", "mse"),
    ("naive", "ce_fwd"),
]

HEADER = ("kind,impl,op,rows,cols,threads,reps,iters,median_ms,min_ms,q1_ms,q3_ms,"
          "max_ms,bytes,gbps,extra_bytes,value,note")


# ------------------------------------------------------------------- figures

def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


class Figures:
    """The measurements of one run, looked up by (impl, op, rows, cols, threads)."""

    def __init__(self, rows=()):
        self.time = {}
        self.mem = {}
        self.all = []
        for r in rows:
            self.add(r)

    @classmethod
    def load(cls, path):
        if not os.path.exists(path):
            return cls()
        with open(path, newline="") as f:
            return cls(list(csv.DictReader(f)))

    def add(self, r):
        key = (r["impl"], r["op"], int(r["rows"]), int(r["cols"]), int(r["threads"]))
        self.all.append(r)
        if r["kind"] == "mem":
            self.mem[key] = r
        elif fnum(r["median_ms"]) is not None:
            self.time[key] = r

    def ms(self, impl, op, shape, threads):
        r = self.time.get((impl, op, shape[0], shape[1], threads))
        return fnum(r["median_ms"]) if r else None

    def threads(self):
        return sorted({k[4] for k in self.time if k[0] != "numpy"})

    def shapes(self, elem=None):
        """Row-wise shapes (elem False), element-wise (True) or all, in run order."""
        seen = []
        for r in self.all:
            s = (int(r["rows"]), int(r["cols"]))
            is_elem = r["op"] in ("read_xy", "mse", "bce_logits")
            if s not in seen and (elem is None or is_elem == elem):
                seen.append(s)
        return seen

    def ours_ms(self, op, shape, threads):
        """Our time for op at threads; numpy (single-threaded, recorded as 1 thread)
        falls back to our smallest thread count when 1 was not measured."""
        v = self.ms("losskit", op, shape, threads)
        if v is None:
            ts = [k[4] for k in self.time
                  if k[:4] == ("losskit", op, shape[0], shape[1])]
            if ts:
                return self.ms("losskit", op, shape, min(ts)), min(ts)
            return None, None
        return v, threads

    def ratios(self, r):
        """The ratios of one timing row: a list of (label, value, note)."""
        impl, op = r["impl"], r["op"]
        shape, t = (int(r["rows"]), int(r["cols"])), int(r["threads"])
        me = fnum(r["median_ms"])
        out = []
        if me is None:
            return out
        if impl == "losskit" and op in LIMIT_OF:
            lim = self.ms("limit", LIMIT_OF[op], shape, t)
            if lim:
                out.append(("ours/" + LIMIT_OF[op], me / lim, ""))
            return out
        ours_op = OURS_OF.get((impl, op))
        if ours_op:
            o, ot = self.ours_ms(ours_op, shape, t)
            if o:
                out.append(("%s/ours" % impl, me / o,
                            "" if ot == t else "ours at %d thr" % ot))
        if (impl, op) == ("onednn", "log_softmax"):
            o = self.ms("losskit", "ce_fwd", shape, t)
            if o:
                out.append(("onednn/our CE fwd", me / o, ""))
        return out

    def ratio_text(self, r):
        return ", ".join("%s %.2f%s" % (lab, v, " (%s)" % note if note else "")
                         for lab, v, note in self.ratios(r))

    def ratio_cell(self, r):
        """Compact form for the tables: the value, the limit's name for ours."""
        parts = []
        for lab, v, note in self.ratios(r):
            if lab.startswith("ours/"):
                parts.append("%.2f (%s)" % (v, lab[5:]))
            elif lab == "onednn/our CE fwd":
                parts.append("CE fwd %.2f" % v)
            else:
                parts.append("%.2f%s" % (v, " (%s)" % note if note else ""))
        return "; ".join(parts)


def shape_text(shape):
    return "%dx%d" % shape


def human(r, figs):
    name = "%-7s %-22s" % (r["impl"], OP_LABEL.get(r["op"], r["op"]))
    where = "t=%-2s %-11s" % (r["threads"], "%sx%s" % (r["rows"], r["cols"]))
    if r["kind"] == "mem":
        extra = fnum(r["extra_bytes"])
        if extra is None:
            return "%s %s memory: %s" % (where, name, r["note"])
        logits = fnum(r["bytes"]) or 0
        return "%s %s extra memory %10.1f KiB (%.4f%% of the logits)" % (
            where, name, extra / 1024, 100.0 * extra / logits if logits else 0)
    ms = fnum(r["median_ms"])
    if ms is None:
        return "%s %s skipped: %s" % (where, name, r["note"])
    line = "%s %s %9.3f ms [%9.3f .. %9.3f] %7.2f GB/s" % (
        where, name, ms, fnum(r["min_ms"]), fnum(r["max_ms"]), fnum(r["gbps"]))
    ratio = figs.ratio_text(r)
    if ratio:
        line += "  " + ratio
    if r["note"].startswith(("MISMATCH", "error")):
        line += "  !! " + r["note"]
    return line


def cmd_tee(csv_path):
    figs = Figures.load(csv_path)
    start = float(os.environ.get("LKB_START", time.time()))
    new_file = not os.path.exists(csv_path) or os.path.getsize(csv_path) == 0
    with open(csv_path, "a", newline="") as out:
        if new_file:
            out.write(HEADER + "\n")
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(("time,", "mem,")):
                if line:
                    print(line, flush=True)
                continue
            out.write(line + "\n")
            out.flush()
            r = next(csv.DictReader([HEADER, line]))
            figs.add(r)
            el = int(time.time() - start)
            print("[%3dm%02ds] %s" % (el // 60, el % 60, human(r, figs)), flush=True)
    return 0


# ------------------------------------------------------------------- targets

class Target:
    def __init__(self, tid, text, shape, threads, value, op, limit, detail=""):
        self.tid, self.text, self.shape, self.threads = tid, text, shape, threads
        self.value, self.op, self.limit, self.detail = value, op, limit, detail
        self.exception = False  # met through the target's stated exception

    @property
    def need(self):
        return "%s %s" % (self.op, fmt(self.limit))

    @property
    def status(self):
        if self.value is None:
            return "n/a"
        if self.exception:
            return "met (exception)"
        ok = self.value <= self.limit if self.op == "<=" else self.value >= self.limit
        return "met" if ok else "NOT met"


def pick_gpt(figs):
    """The GPT-2 shape, or in quick runs the largest measured shape with its vocab."""
    shapes = figs.shapes(elem=False)
    if GPT in shapes:
        return GPT, ""
    alt = [s for s in shapes if s[1] == GPT[1]]
    if alt:
        s = max(alt)
        return s, " (stand-in %s)" % shape_text(s)
    return GPT, ""


def div(a, b):
    return a / b if a is not None and b else None


def targets(figs):
    out = []
    ts = figs.threads() or [1]
    g, note = pick_gpt(figs)
    gs = shape_text(GPT) + note

    for t in ts:
        ours = figs.ms("losskit", "ce_fwd", g, t)
        out.append(Target("T1", "CE forward <= 1.3 x read pass, " + gs, g, t,
                          div(ours, figs.ms("limit", "read", g, t)), "<=", 1.3,
                          "ours/read"))
    for t in ts:
        for op, what in (("ce_fused_inplace", "in place"),
                         ("ce_fused_grad", "separate grad")):
            out.append(Target("T2", "fused fwd+bwd (%s) <= 1.5 x copy pass, %s"
                              % (what, gs), g, t,
                              div(figs.ms("losskit", op, g, t),
                                  figs.ms("limit", "copy", g, t)), "<=", 1.5,
                              "ours/copy"))
    for t in ts:
        out.append(Target("T3", "CE forward >= 2x faster than oneDNN log-softmax, " + gs,
                          g, t, div(figs.ms("onednn", "log_softmax", g, t),
                                    figs.ms("losskit", "ce_fwd", g, t)), ">=", 2.0,
                          "oneDNN/ours"))
    for t in ts:
        out.append(Target("T4", "fused (in place) >= 10x faster than PyTorch fwd+bwd, "
                          + gs, g, t, div(figs.ms("torch", "ce_fwd_bwd", g, t),
                                          figs.ms("losskit", "ce_fused_inplace", g, t)),
                          ">=", 10.0, "torch/ours"))
    small = (256, 1000)
    for t in (1, 2):
        for op, what in (("ce_fwd", "CE forward"), ("log_softmax", "log-softmax")):
            out.append(Target("T5", "256x1000: ours (%s) no slower than oneDNN "
                              "log-softmax" % what, small, t,
                              div(figs.ms("onednn", "log_softmax", small, t),
                                  figs.ms("losskit", op, small, t)), ">=", 1.0,
                              "oneDNN/ours"))
    few = (4, 256000)
    for op, what in (("ce_fwd", "CE forward"), ("ce_fused_inplace", "fused in place")):
        out.append(Target("T6", "4x256000 (%s): 2 threads >= 1.7x faster than 1" % what,
                          few, "1->2", div(figs.ms("losskit", op, few, 1),
                                           figs.ms("losskit", op, few, 2)), ">=", 1.7,
                          "t1/t2"))
    t1 = figs.ms("losskit", "ce_fused_inplace", g, 1)
    t2 = figs.ms("losskit", "ce_fused_inplace", g, 2)
    cp2 = figs.ms("limit", "copy", g, 2)
    speed = div(t1, t2)
    near = div(t2, cp2)
    tg = Target("T7", "fused 1->2 threads >= 1.6x, unless 2 threads within 1.2 x copy, "
                + gs, g, "1->2", speed, ">=", 1.6, "t1/t2")
    tg.exception = (speed is not None and speed < 1.6 and near is not None
                    and near <= 1.2)
    tg.detail = "t1/t2; t2/copy = %s" % ("%.2f" % near if near is not None else "n/a")
    out.append(tg)

    for r in figs.mem.values():
        extra = fnum(r["extra_bytes"])
        shape = (int(r["rows"]), int(r["cols"]))
        logits = 4.0 * shape[0] * shape[1]
        bound = 64.0 * shape[0] + (1 << 20)
        # Only shapes whose logits dwarf the bound can show a rows x cols scratch.
        if r["impl"] != "losskit" or logits < 16 * bound:
            continue
        if r["op"] not in ("ce_fwd", "ce_fused_inplace"):
            continue
        what = "forward" if r["op"] == "ce_fwd" else "in-place fused"
        out.append(Target("T8", "%s extra memory O(rows): <= 64 B/row + 1 MiB, %s"
                          % (what, shape_text(shape)), shape, int(r["threads"]),
                          None if extra is None else extra / 1024.0, "<=", bound / 1024.0,
                          "KiB extra (%.3f%% of logits)" % (
                              100.0 * extra / logits if extra is not None else 0)))
    return out


def fmt(v):
    if v is None:
        return "n/a"
    return "%.3g" % v if abs(v) < 1000 else "%.0f" % v


def cmd_check(csv_path, out_path):
    figs = Figures.load(csv_path)
    tl = targets(figs)
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "target", "threads", "ratio", "need", "status", "detail"])
        for tg in tl:
            w.writerow([tg.tid, tg.text, tg.threads, fmt(tg.value), tg.need, tg.status,
                        tg.detail])
    print("\nissue-4 targets (from %s):" % csv_path)
    for tg in tl:
        print("  %-3s %-15s thr %-4s %8s  need %-7s %s  [%s]" % (
            tg.tid, tg.status, tg.threads, fmt(tg.value), tg.need, tg.text, tg.detail))
    met = sum(1 for tg in tl if tg.status.startswith("met"))
    notmet = sum(1 for tg in tl if tg.status == "NOT met")
    print("  => %d met, %d NOT met, %d not measured" % (met, notmet, len(tl) - met - notmet))
    return 0


# ---------------------------------------------------------------------- plot

# (impl, op, colour): limits grey, losskit blue/green, peers warm colours.
PLOT_SERIES = [
    ("limit", "read", "#bbbbbb"), ("limit", "copy", "#777777"),
    ("losskit", "ce_fwd", "#1f5fbf"), ("losskit", "ce_fused_inplace", "#4fa3ff"),
    ("losskit", "log_softmax", "#2ca02c"),
    ("onednn", "log_softmax", "#9467bd"), ("torch", "ce_fwd", "#d62728"),
    ("torch", "ce_fwd_bwd", "#ff9896"), ("naive", "ce_fwd", "#8c564b"),
]


def cmd_plot(csv_path, png):
    gp = shutil.which("gnuplot")
    if not gp:
        print("bench: gnuplot not found (Debian: gnuplot-nox); chart skipped")
        return 0
    figs = Figures.load(csv_path)
    shapes = figs.shapes(elem=False)
    ts = figs.threads()
    if not shapes or not ts:
        print("bench: nothing to plot")
        return 0
    tmp = tempfile.mkdtemp(prefix="lkb-plot-")
    files = []
    for t in ts:
        path = os.path.join(tmp, "t%d.dat" % t)
        with open(path, "w") as f:
            f.write("shape " + " ".join('"%s %s"' % (i, OP_LABEL[o])
                                        for i, o, _ in PLOT_SERIES) + "\n")
            for s in shapes:
                vals = []
                for impl, op, _ in PLOT_SERIES:
                    r = figs.time.get((impl, op, s[0], s[1], t))
                    vals.append(r["gbps"] if r and fnum(r["gbps"]) else "-")
                f.write('"%s" %s\n' % (shape_text(s), " ".join(vals)))
        files.append((t, path))
    ncol = len(PLOT_SERIES)
    height = 420 * len(ts) + 40
    body = [
        'set output "%s"' % png,
        'set datafile missing "-"',
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.9",
        "set logscale y",
        "set grid ytics",
        'set ylabel "GB/s (bytes: logits read + rows x cols written)"',
        "set key outside right top vertical",
        "set multiplot layout %d,1" % len(ts),
    ]
    for t, path in files:
        body.append('set title "losskit bench: throughput by shape, %d thread(s)"' % t)
        body.append("plot " + ", ".join(
            '"%s" using %d:xtic(1) title columnheader(%d) lc rgb "%s"'
            % (path, k + 2, k + 2, PLOT_SERIES[k][2]) for k in range(ncol)))
    body.append("unset multiplot")
    gpfile = os.path.join(tmp, "chart.gp")
    res = None
    # pngcairo looks better; plain png (libgd) is the fallback.
    for term in ('pngcairo size 1400,%d noenhanced font ",10"' % height,
                 "png size 1400,%d noenhanced" % height):
        with open(gpfile, "w") as f:
            f.write("\n".join(["set terminal " + term] + body) + "\n")
        res = subprocess.run([gp, gpfile], capture_output=True, text=True)
        if res.returncode == 0:
            break
    if res.returncode != 0:
        print("bench: gnuplot failed; chart skipped\n" + res.stderr)
    else:
        print("bench: chart written to %s" % png)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


# -------------------------------------------------------------------- report

def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def cell(figs, impl, op, shape, t):
    r = figs.time.get((impl, op, shape[0], shape[1], t))
    if not r:
        return None
    ms = fnum(r["median_ms"])
    text = "%.3f [%.3f–%.3f]" % (ms, fnum(r["min_ms"]), fnum(r["max_ms"]))
    return text, "%.2f" % fnum(r["gbps"]), figs.ratio_cell(r)


def cmd_report(csv_path, targets_path, machine_path, out_path):
    figs = Figures.load(csv_path)
    m = read_kv(machine_path)
    quick = m.get("quick") == "1"
    ts = figs.threads()
    L = []
    L.append("# losskit benchmark results")
    L.append("")
    if quick:
        L.append("**PRELIMINARY: quick run** (LK_BENCH_QUICK=1: small shapes, few "
                 "repeats, kernels still being optimised).  Not for judging targets; "
                 "the final figures come from a full `make bench` run.")
    else:
        L.append("Full run.")
    L.append("")
    load = (fnum(m.get("load", "").split(" ")[0]) or 0.0) if m.get("load") else 0.0
    if load > 0.5:
        L.append("**Warning: load average %.2f at start: other processes were running, so "
                 "the figures (above all the multi-threaded ones) are disturbed.**" % load)
        L.append("")
    L.append("Generated by `bench/lkb.py report` from `results.csv` of the run "
             "(refresh: `LK_BENCH_PUBLISH=1 make bench`).  Method and column meanings: "
             "bench/README.md.")
    L.append("")
    L.append("## Machine")
    L.append("")
    for k, label in (("date", "Date"), ("cpu", "CPU"), ("cores", "CPUs (online)"),
                     ("memory", "Memory"), ("kernel", "Kernel"), ("cc", "Compiler"),
                     ("cflags", "CFLAGS"), ("losskit", "losskit"),
                     ("openmp", "losskit OpenMP"), ("onednn", "oneDNN"),
                     ("torch", "PyTorch"), ("torch_pkg", "Debian python3-torch"),
                     ("numpy", "NumPy"), ("python", "Python"), ("threads", "Threads run"),
                     ("load", "Load average at start (1, 5, 15 min)"),
                     ("load_end", "Load average at end")):
        if k in m:
            L.append("- %s: %s" % (label, m[k]))
    L.append("")
    L.append("## Command")
    L.append("")
    L.append("```")
    L.append(m.get("command", "make bench"))
    L.append("```")
    L.append("")
    L.append("Settings: repeats %s, minimum time per repeat %s s, time budget per "
             "measurement %s s." % (m.get("repeats", "?"), m.get("min_time", "?"),
                                   m.get("max_time", "?")))
    L.append("")
    L.append("## Targets (issue 4)")
    L.append("")
    if os.path.exists(targets_path):
        with open(targets_path, newline="") as f:
            rows = list(csv.DictReader(f))
        L.append("| id | target | threads | ratio | need | status | detail |")
        L.append("|---|---|---|---|---|---|---|")
        for r in rows:
            st = r["status"] if r["status"] != "NOT met" else "**NOT met**"
            L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                r["id"], r["target"], r["threads"], r["ratio"], r["need"], st,
                r["detail"]))
    L.append("")
    L.append("## Times")
    L.append("")
    L.append("Median ms per call [min–max over the repeats], GB/s, and the ratio: "
             "ours/limit for losskit (the limit pass's time is the floor: 1.00 is ideal), "
             "peer/ours for peers (> 1: losskit is faster).  NumPy is single-threaded "
             "and is listed under 1 thread.")
    L.append("")
    if os.path.exists(os.path.join(os.path.dirname(out_path) or ".", "results.png")):
        L.append("![throughput chart](results.png)")
        L.append("")
    for shape in figs.shapes():
        elem = shape in figs.shapes(elem=True)
        title = ("%d values (MSE), %dx%d (BCE)" % (shape[0] * shape[1], shape[0], shape[1])
                 if elem else "%dx%d" % shape)
        L.append("### %s" % title)
        L.append("")
        head = "| impl | op |" + "".join(" %d thr: ms | GB/s | ratio |" % t for t in ts)
        L.append(head)
        L.append("|---|---|" + "---|---|---|" * len(ts))
        for impl, op in ROW_ORDER:
            cells = [cell(figs, impl, op, shape, t) for t in ts]
            if impl == "numpy":
                cells = [cell(figs, impl, op, shape, 1) if t == ts[0] else None
                         for t in ts]
            if not any(cells):
                skip = [r for r in figs.all if r["impl"] == impl and r["op"] == op and
                        (int(r["rows"]), int(r["cols"])) == shape and
                        fnum(r["median_ms"]) is None and r["kind"] == "time"]
                if skip:
                    L.append("| %s | %s |%s" % (impl, OP_LABEL.get(op, op),
                                                " %s | | |" % skip[0]["note"] +
                                                " | | |" * (len(ts) - 1)))
                continue
            row = "| %s | %s |" % (impl, OP_LABEL.get(op, op))
            for c in cells:
                row += " %s | %s | %s |" % c if c else " | | |"
            L.append(row)
        L.append("")
    mems = [r for r in figs.all if r["kind"] == "mem"]
    if mems:
        L.append("## Extra memory")
        L.append("")
        L.append("Peak RSS of one call beyond its (already touched) inputs and outputs, "
                 "one process per call (`lkbench mem`).")
        L.append("")
        L.append("| shape | op | threads | extra KiB | % of logits | how |")
        L.append("|---|---|---|---|---|---|")
        for r in mems:
            extra = fnum(r["extra_bytes"])
            logits = fnum(r["bytes"])
            L.append("| %sx%s | %s | %s | %s | %s | %s |" % (
                r["rows"], r["cols"], OP_LABEL.get(r["op"], r["op"]), r["threads"],
                "%.1f" % (extra / 1024) if extra is not None else "n/a",
                "%.4f" % (100 * extra / logits) if extra is not None and logits else "",
                r["note"]))
        L.append("")
    with open(out_path, "w") as f:
        f.write("\n".join(L))
    print("bench: report written to %s" % out_path)
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "tee":
        return cmd_tee(argv[1])
    if len(argv) == 3 and argv[0] == "check":
        return cmd_check(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "plot":
        return cmd_plot(argv[1], argv[2])
    if len(argv) == 5 and argv[0] == "report":
        return cmd_report(*argv[1:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
