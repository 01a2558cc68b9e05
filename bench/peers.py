#!/usr/bin/python3
"""bench/peers.py - the Python peers of losskit's benchmark.

    peers.py torch THREADS SHAPE...   PyTorch CPU, torch.set_num_threads(THREADS)
    peers.py numpy SHAPE...           the seed's NumPy code (04_losses_ABOUT.md), one
                                      process, single-threaded
    peers.py versions                 library versions, as key=value lines

SHAPE is RxC (row-wise: cross-entropy, log-softmax) or elem:RxC (MSE over R*C values,
BCE-with-logits on R x C).  Prints the same CSV lines as the C programs
(bench/lkbench.h) on stdout and uses the same timing method and environment
(LK_BENCH_MIN_TIME, LK_BENCH_MAX_TIME, LK_BENCH_REPEATS).  Run with /usr/bin/python3
(Debian python3-torch, python3-numpy).
"""
import math
import os
import sys
import time


def env_float(name, dflt):
    try:
        v = float(os.environ.get(name, ""))
        return v if v > 0 else dflt
    except ValueError:
        return dflt


MIN_TIME = env_float("LK_BENCH_MIN_TIME", 0.1)
MAX_TIME = env_float("LK_BENCH_MAX_TIME", 3.0)
REPEATS = min(64, max(3, int(env_float("LK_BENCH_REPEATS", 7))))


def quantile(s, p):
    pos = p * (len(s) - 1)
    i = int(pos)
    if i >= len(s) - 1:
        return s[-1]
    return s[i] + (pos - i) * (s[i + 1] - s[i])


def measure(fn, restore=None):
    """Times fn() as bench/lkbench.h does; returns (result dict, last value)."""
    if restore:
        restore()
    t0 = time.perf_counter()
    value = fn()
    t1 = max(time.perf_counter() - t0, 1e-9)
    iters = min(1000000, max(1, math.ceil(MIN_TIME / t1)))
    reps = REPEATS
    if t1 * iters * reps > MAX_TIME:
        reps = max(3, int(MAX_TIME / (t1 * iters)))
    times = []
    for _ in range(reps):
        if restore:
            restore()
        a = time.perf_counter()
        for _ in range(iters):
            value = fn()
        times.append((time.perf_counter() - a) / iters)
    times.sort()
    return dict(reps=reps, iters=iters, median=quantile(times, 0.5), min=times[0],
                q1=quantile(times, 0.25), q3=quantile(times, 0.75),
                max=times[-1]), value


def emit(impl, op, rows, cols, threads, r, nbytes, value, note=""):
    print("time,%s,%s,%d,%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.0f,%.3f,,%.9g,%s" % (
        impl, op, rows, cols, threads, r["reps"], r["iters"], 1e3 * r["median"],
        1e3 * r["min"], 1e3 * r["q1"], 1e3 * r["q3"], 1e3 * r["max"], nbytes,
        nbytes / r["median"] * 1e-9, float(value), note), flush=True)


def parse_shapes(args):
    out = []
    for a in args:
        elem = a.startswith("elem:")
        r, c = a[5:].split("x") if elem else a.split("x")
        out.append((elem, int(r), int(c)))
    return out


def say(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ PyTorch

def run_torch(threads, shapes):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    nt = torch.get_num_threads()
    torch.manual_seed(0)
    for elem, rows, cols in shapes:
        n = rows * cols
        if elem:
            say("peers: torch element-wise %d values, %d thread(s)" % (n, nt))
            x = torch.rand(n) * 8 - 4
            y = torch.rand(n)
            b = 8.0 * n
            with torch.no_grad():
                r, v = measure(lambda: F.mse_loss(x, y).item())
                emit("torch", "mse", rows, cols, nt, r, b, v)
                x2, y2 = x.view(rows, cols), y.view(rows, cols)
                r, v = measure(
                    lambda: F.binary_cross_entropy_with_logits(x2, y2).item())
                emit("torch", "bce_logits", rows, cols, nt, r, b, v)
            x = y = x2 = y2 = None  # free before the next shape
            continue
        say("peers: torch %dx%d, %d thread(s)" % (rows, cols, nt))
        b = 4.0 * n
        x = torch.rand(rows, cols) * 8 - 4
        t = torch.randint(0, cols, (rows,), dtype=torch.int64)
        with torch.no_grad():
            r, v = measure(lambda: F.cross_entropy(x, t).item())
            emit("torch", "ce_fwd", rows, cols, nt, r, b, v)
            r, v = measure(lambda: F.log_softmax(x, dim=1)[0, 0].item())
            emit("torch", "log_softmax", rows, cols, nt, r, 2 * b, v)
        xg = x.clone().requires_grad_(True)

        def fwd_bwd():
            # A training step's loss part: grads set to None (zero_grad's default
            # since torch 2.0), forward, backward into a fresh gradient.
            xg.grad = None
            loss = F.cross_entropy(xg, t)
            loss.backward()
            return loss.item()

        r, v = measure(fwd_bwd)
        emit("torch", "ce_fwd_bwd", rows, cols, nt, r, 2 * b, v,
             "grad=None, forward+backward")
        x = xg = t = None  # free before the next shape


# -------------------------------------------------------------------- NumPy

def run_numpy(shapes):
    import numpy as np

    # The seed's code (04_losses_ABOUT.md), on the arrays its Tensor wraps.
    def log_softmax(x, dim=-1):
        max_vals = np.max(x, axis=dim, keepdims=True)
        shifted = x - max_vals
        log_sum_exp = np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        return x - max_vals - log_sum_exp

    def cross_entropy(logits, targets):
        log_probs = log_softmax(logits, dim=-1)
        batch_size = logits.shape[0]
        target_indices = targets.astype(int)
        selected_log_probs = log_probs[np.arange(batch_size), target_indices]
        return -np.mean(selected_log_probs)

    def mse(predictions, targets):
        diff = predictions - targets
        squared_diff = diff ** 2
        return np.mean(squared_diff)

    rng = np.random.default_rng(0)
    for elem, rows, cols in shapes:
        n = rows * cols
        if elem:
            say("peers: numpy element-wise %d values" % n)
            x = rng.uniform(-4, 4, n).astype(np.float32)
            y = rng.uniform(0, 1, n).astype(np.float32)
            r, v = measure(lambda: mse(x, y))
            emit("numpy", "mse", rows, cols, 1, r, 8.0 * n, v, "seed code")
            x = y = None
            continue
        say("peers: numpy %dx%d" % (rows, cols))
        x = rng.uniform(-4, 4, (rows, cols)).astype(np.float32)
        t = rng.integers(0, cols, rows).astype(np.int64)
        r, v = measure(lambda: cross_entropy(x, t))
        emit("numpy", "ce_fwd", rows, cols, 1, r, 4.0 * n, v, "seed code")
        r, v = measure(lambda: log_softmax(x)[0, 0])
        emit("numpy", "log_softmax", rows, cols, 1, r, 8.0 * n, v, "seed code")
        x = t = None


def versions():
    try:
        import torch
        print("torch=%s" % torch.__version__)
        for line in torch.__config__.parallel_info().splitlines():
            if line.startswith("ATen parallel backend"):
                print("torch_parallel=%s" % line.split(":", 1)[1].strip())
            elif "MKL-DNN" in line or "oneDNN" in line:
                print("torch_onednn=%s" % line.strip())
    except ImportError:
        print("torch=missing")
    try:
        import numpy
        print("numpy=%s" % numpy.__version__)
    except ImportError:
        print("numpy=missing")
    print("python=%s" % sys.version.split()[0])


def main(argv):
    if len(argv) >= 1 and argv[0] == "versions":
        versions()
        return 0
    try:
        if len(argv) >= 2 and argv[0] == "torch":
            run_torch(int(argv[1]), parse_shapes(argv[2:]))
            return 0
        if len(argv) >= 1 and argv[0] == "numpy":
            run_numpy(parse_shapes(argv[1:]))
            return 0
    except ImportError as e:
        say("peers: %s is not available (%s); skipped" % (argv[0], e))
        return 3
    say(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
