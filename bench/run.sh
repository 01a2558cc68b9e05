#!/bin/sh
# bench/run.sh - losskit's benchmark run; `make bench` calls it after building the
# bench programs.  Runs losskit, the bandwidth limits, the naive C cross-entropy,
# oneDNN, PyTorch and the seed's NumPy code on the same shapes and thread counts,
# then the memory probe, the issue-4 target checker, the chart and RESULTS.md.
#
# Settings (environment; flags --quick and --threads "LIST" do the same):
#   LK_BENCH_QUICK=1          smoke run: small shapes, 3 short repeats (seconds)
#   LK_BENCH_THREADS="1 2"    thread counts (default: OMP_NUM_THREADS if set,
#                             else "1 N" with N the online CPUs)
#   LK_BENCH_SHAPES="RxC ..." row-wise shapes (default: the five of issue 4)
#   LK_BENCH_ELEM=RxC         element-wise shape (default 10000x1000: 10^7 values)
#   LK_BENCH_PEERS="onednn torch numpy"   peers to run (default: all three)
#   LK_BENCH_REPEATS, LK_BENCH_MIN_TIME, LK_BENCH_MAX_TIME   timing (README.md)
#   LK_BENCH_PUBLISH=1        copy RESULTS.md, results.csv, results.png to the
#                             source tree's bench/ (for committing)
# Output: bench/out/ in the build tree (results.csv, targets.csv, results.png,
# RESULTS.md, machine.txt, run.log).
set -u

srcdir=${LKB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${LKB_BUILDDIR:-$(pwd)}
PY=${LKB_PYTHON:-/usr/bin/python3}
CC_NAME=${LKB_CC:-cc}

quick=${LK_BENCH_QUICK:-0}
threads=${LK_BENCH_THREADS:-}
command="make bench"
if [ $# -gt 0 ]; then
    command="LKB_BUILDDIR=$builddir $0"
    for a in "$@"; do command="$command '$a'"; done
fi
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --threads) shift; threads=$1 ;;
    *) echo "usage: run.sh [--quick] [--threads \"1 2\"]" >&2; exit 2 ;;
    esac
    shift
done

if [ "$quick" = 1 ]; then
    shapes=${LK_BENCH_SHAPES:-"256x1000 128x50257 4x256000 65536x10"}
    elem=${LK_BENCH_ELEM:-1000x1000}
    : "${LK_BENCH_REPEATS:=3}" "${LK_BENCH_MIN_TIME:=0.02}" "${LK_BENCH_MAX_TIME:=0.5}"
else
    shapes=${LK_BENCH_SHAPES:-"256x1000 2048x50257 4096x32000 4x256000 65536x10"}
    elem=${LK_BENCH_ELEM:-10000x1000}
    : "${LK_BENCH_REPEATS:=7}" "${LK_BENCH_MIN_TIME:=0.1}" "${LK_BENCH_MAX_TIME:=3}"
fi
export LK_BENCH_REPEATS LK_BENCH_MIN_TIME LK_BENCH_MAX_TIME
peers=${LK_BENCH_PEERS-"onednn torch numpy"}

lkbench=$builddir/bench/lkbench
dnnl=$builddir/bench/lkbench-dnnl
out=$builddir/bench/out
csv=$out/results.csv
mkdir -p "$out" || exit 1

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ -z "$threads" ]; then
    if [ -n "${OMP_NUM_THREADS:-}" ]; then
        threads=$OMP_NUM_THREADS
    elif [ "$ncpu" -gt 1 ]; then
        threads="1 $ncpu"
    else
        threads=1
    fi
fi

have_py=0
[ -x "$PY" ] && have_py=1

has_peer() {
    case " $peers " in *" $1 "*) return 0 ;; esac
    return 1
}

# Appends the CSV lines of a program to results.csv and prints them readably.
record() {
    if [ "$have_py" = 1 ]; then
        "$PY" "$srcdir/bench/lkb.py" tee "$csv"
    else
        [ -s "$csv" ] || "$lkbench" info | sed -n 's/^csv_header=//p' > "$csv"
        while IFS= read -r line; do
            echo "$line"
            case $line in time,* | mem,*) echo "$line" >> "$csv" ;; esac
        done
    fi
}

stage_no=0
stage() {
    stage_no=$((stage_no + 1))
    echo "== [$stage_no] $* ($(date +%H:%M:%S))"
}

machine_info() {
    info=$("$lkbench" info)
    kv() { echo "$info" | sed -n "s/^$1=//p"; }
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
    cores=$(lscpu 2>/dev/null | sed -n 's/^Core(s) per socket: *//p' | head -n 1)
    tpc=$(lscpu 2>/dev/null | sed -n 's/^Thread(s) per core: *//p' | head -n 1)
    sockets=$(lscpu 2>/dev/null | sed -n 's/^Socket(s): *//p' | head -n 1)
    echo "cores=$ncpu ($sockets socket(s) x $cores core(s) x $tpc thread(s) per core)"
    echo "memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "cc=$($CC_NAME --version 2>/dev/null | head -n 1)"
    echo "cflags=$(sed -n 's/^S\["CFLAGS"\]="\(.*\)"$/\1/p' "$builddir/config.status" 2>/dev/null)"
    echo "losskit=$(kv losskit_version)"
    echo "openmp=$(kv openmp)"
    if [ -x "$dnnl" ]; then
        echo "onednn=$("$dnnl" version) (Debian libdnnl $(dpkg-query -W -f '${Version}' libdnnl-dev 2>/dev/null))"
    else
        echo "onednn=not built"
    fi
    if [ "$have_py" = 1 ]; then
        "$PY" "$srcdir/bench/peers.py" versions
    fi
    echo "torch_pkg=$(dpkg-query -W -f '${Version}' python3-torch 2>/dev/null)"
    echo "threads=$threads"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
    echo "quick=$quick"
    echo "repeats=$LK_BENCH_REPEATS"
    echo "min_time=$LK_BENCH_MIN_TIME"
    echo "max_time=$LK_BENCH_MAX_TIME"
    cmd=$command
    for v in LK_BENCH_QUICK LK_BENCH_THREADS LK_BENCH_SHAPES LK_BENCH_ELEM LK_BENCH_PEERS \
             OMP_NUM_THREADS; do
        eval "val=\${$v:-}"
        # shellcheck disable=SC2154
        [ -n "$val" ] && cmd="$v='$val' $cmd"
    done
    echo "command=$cmd"
}

main() {
    if [ ! -x "$lkbench" ]; then
        echo "bench: $lkbench not built (run: make bench)" >&2
        return 1
    fi
    if "$lkbench" info | grep -q '^openmp=no'; then
        echo "bench: losskit was built without OpenMP: running 1 thread only"
        threads=1
    fi
    LKB_START=$(date +%s)
    export LKB_START
    rm -f "$csv" "$out/targets.csv" "$out/results.png" "$out/RESULTS.md"
    machine_info > "$out/machine.txt"
    echo "bench: losskit benchmark$( [ "$quick" = 1 ] && echo ' (QUICK)'), threads: $threads"
    echo "bench: row-wise shapes: $shapes; element-wise: $elem"
    echo "bench: repeats $LK_BENCH_REPEATS, min $LK_BENCH_MIN_TIME s per repeat, budget $LK_BENCH_MAX_TIME s per measurement"
    echo "bench: CPU: $(sed -n 's/^cpu=//p' "$out/machine.txt"), load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
    [ "$have_py" = 1 ] || echo "bench: $PY not found: no ratios, peers, targets or report"
    load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
    if awk "BEGIN { exit !($load1 > 0.5) }"; then
        echo "bench: WARNING: load average $load1: other processes are running;" \
            "figures, above all multi-threaded ones, will be noisy"
    fi

    for t in $threads; do
        stage "losskit, limits and naive C, $t thread(s)"
        # shellcheck disable=SC2086
        OMP_NUM_THREADS=$t "$lkbench" time $shapes "elem:$elem" 2>&1 | record
        if has_peer onednn; then
            stage "oneDNN log-softmax, $t thread(s)"
            if [ -x "$dnnl" ]; then
                # shellcheck disable=SC2086
                OMP_NUM_THREADS=$t "$dnnl" time $shapes 2>&1 | record
            else
                echo "bench: oneDNN peer not built (Debian: libdnnl-dev); skipped"
            fi
        fi
        if has_peer torch && [ "$have_py" = 1 ]; then
            stage "PyTorch, $t thread(s)"
            # shellcheck disable=SC2086
            OMP_NUM_THREADS=$t "$PY" "$srcdir/bench/peers.py" torch "$t" $shapes \
                "elem:$elem" 2>&1 | record
        fi
    done
    if has_peer numpy && [ "$have_py" = 1 ]; then
        stage "NumPy (seed code, single process)"
        # shellcheck disable=SC2086
        OMP_NUM_THREADS=1 "$PY" "$srcdir/bench/peers.py" numpy $shapes "elem:$elem" 2>&1 | record
    fi

    tmax=1
    for t in $threads; do [ "$t" -gt "$tmax" ] && tmax=$t; done
    stage "extra memory, $tmax thread(s), one process per call"
    for s in $shapes; do
        for op in ce_fwd ce_fused_inplace ce_fused_grad log_softmax; do
            OMP_NUM_THREADS=$tmax "$lkbench" mem "$op" "$s" 2>&1 | record
        done
    done

    echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >> "$out/machine.txt"
    if [ "$have_py" = 1 ]; then
        stage "targets, chart, report"
        "$PY" "$srcdir/bench/lkb.py" check "$csv" "$out/targets.csv"
        "$PY" "$srcdir/bench/lkb.py" plot "$csv" "$out/results.png"
        "$PY" "$srcdir/bench/lkb.py" report "$csv" "$out/targets.csv" \
            "$out/machine.txt" "$out/RESULTS.md"
        # Hand-written sections (design measurements that are not part of a run).
        if [ -f "$srcdir/bench/NOTES.md" ]; then
            printf '\n' >> "$out/RESULTS.md"
            cat "$srcdir/bench/NOTES.md" >> "$out/RESULTS.md"
        fi
    fi
    el=$(( $(date +%s) - LKB_START ))
    echo "bench: done in $((el / 60))m$((el % 60))s; figures in $out/"
    if [ "${LK_BENCH_PUBLISH:-0}" = 1 ]; then
        for f in RESULTS.md results.csv results.png; do
            [ -f "$out/$f" ] && cp "$out/$f" "$srcdir/bench/$f"
        done
        echo "bench: published RESULTS.md, results.csv, results.png to $srcdir/bench/"
    else
        echo "bench: to publish them into $srcdir/bench/: LK_BENCH_PUBLISH=1 make bench"
    fi
}

rcfile=$out/.status
{ main; echo $? > "$rcfile"; } 2>&1 | tee "$out/run.log"
rc=$(cat "$rcfile" 2>/dev/null || echo 1)
rm -f "$rcfile"
exit "$rc"
