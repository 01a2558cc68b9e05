#!/usr/bin/python3
"""Golden values for the element-wise losses (tests/golden_losses.txt).

Run with the system interpreter that has PyTorch 1.13:
    /usr/bin/python3 tests/gen_golden_losses.py > tests/golden_losses.txt

Inputs are float32 values (drawn with a fixed seed); every reference is computed
by PyTorch in float64 on exactly those values, so it is the true value the float
library is compared with.  Gradients come from autograd with a random incoming
gradient (a scalar for sum/mean, one value per element for none).

Each case (format: tests/lktest.h) holds
    rows cols            shape (vector losses: rows = n, cols = 1)
    x y [w] [pw]         inputs, targets, per-element weights, per-column pos_weight
    param flag           delta / beta; clamp mode / log_target (0 when unused)
    reduction            lk_reduction value: 0 mean, 1 sum, 2 none, 3 batchmean
    out                  the forward output (1 or rows*cols values)
    grad_out grad        incoming gradient and the gradient w.r.t. x
Case names are "<loss>.<variant>.<reduction>"; <loss> is one of mse, l1, huber,
smooth_l1, bce, bce_logits, kl.

Known difference kept out of the data: PyTorch 1.13's smooth_l1 backward with
beta = 0 gives -1 at z = 0, where losskit (beta = 0 is L1) gives 0; the beta = 0
cases have no z = 0 element and the C test checks that point on its own.
"""
import warnings

import torch
import torch.nn.functional as F

# kl_div with reduction="mean" warns that it divides by all elements: that is the
# behaviour tested here (batchmean is tested too).
warnings.filterwarnings("ignore", message="reduction: 'mean' divides")

torch.manual_seed(20240611)
D = torch.float64
REDUCTIONS = [("mean", 0), ("sum", 1), ("none", 2)]
BCE_EPS = 1e-7


def f32(t):
    """Round to float32 values, kept as float64."""
    return t.to(torch.float32).to(D)


def uniform(shape, lo, hi):
    return f32(torch.rand(shape, dtype=D) * (hi - lo) + lo)


def fmt(v):
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def emit(name, arrays):
    print("case", name)
    for key, val in arrays:
        vals = val.reshape(-1).tolist() if torch.is_tensor(val) else list(val)
        print(key, len(vals), " ".join(fmt(v) for v in vals))
    print("end")


def run(name, rows, cols, x, y, red, red_code, loss_fn, w=None, pw=None, param=0.0,
        flag=0):
    """Evaluates loss_fn(x) with autograd and prints one case."""
    xg = x.clone().requires_grad_(True)
    out = loss_fn(xg, red)
    if red == "none":
        gout = uniform(out.shape, -1.0, 1.0)
    else:
        gout = uniform((1,), 0.5, 2.0).reshape(())
    (grad,) = torch.autograd.grad(out, xg, grad_outputs=gout)
    arrays = [("rows", [rows]), ("cols", [cols]), ("x", x), ("y", y)]
    if w is not None:
        arrays.append(("w", w))
    if pw is not None:
        arrays.append(("pw", pw))
    arrays += [("param", [param]), ("flag", [flag]), ("reduction", [red_code]),
               ("out", out.detach().reshape(-1)), ("grad_out", gout.reshape(-1)),
               ("grad", grad)]
    emit(name, arrays)


# ------------------------------------------------------------------ regression

def regression():
    n = 11
    x = uniform(n, -3.0, 3.0)
    y = uniform(n, -3.0, 3.0)
    # A few planted values: z = 0, z exactly +-0.5 / +-1 (Huber / SmoothL1 kink
    # for delta, beta = 0.5 and 1), and a large error.
    x[0], y[0] = 1.5, 1.5
    x[1], y[1] = 1.25, 0.75
    x[2], y[2] = -2.0, -1.0
    x[3], y[3] = 900.0, -12.5
    for red, code in REDUCTIONS:
        run("mse.plain." + red, n, 1, x, y, red, code,
            lambda a, r: F.mse_loss(a, y, reduction=r))
        run("l1.plain." + red, n, 1, x, y, red, code,
            lambda a, r: F.l1_loss(a, y, reduction=r))
        for delta in (0.5, 1.0, 2.5):
            run("huber.d%g.%s" % (delta, red), n, 1, x, y, red, code,
                lambda a, r: F.huber_loss(a, y, reduction=r, delta=delta), param=delta)
        for beta in (0.5, 1.0, 2.5):
            run("smooth_l1.b%g.%s" % (beta, red), n, 1, x, y, red, code,
                lambda a, r: F.smooth_l1_loss(a, y, reduction=r, beta=beta), param=beta)
        # beta = 0: drop the z = 0 element (see the module docstring).
        x0, y0 = x[1:].clone(), y[1:].clone()
        run("smooth_l1.b0." + red, n - 1, 1, x0, y0, red, code,
            lambda a, r: F.smooth_l1_loss(a, y0, reduction=r, beta=0.0), param=0.0)


# -------------------------------------------------------------------- BCE

def bce_clamp_input(p, y, w, red):
    """The seed's formula: p clamped to [1e-7, 1 - 1e-7], autograd through clamp."""
    c = torch.clamp(p, BCE_EPS, 1.0 - BCE_EPS)
    l = -(y * torch.log(c) + (1.0 - y) * torch.log1p(-c))
    if w is not None:
        l = l * w
    return {"none": l, "sum": l.sum(), "mean": l.mean()}[red]


def bce():
    n = 13
    p = uniform(n, 0.0, 1.0)
    y = uniform(n, 0.0, 1.0)
    y[:5] = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=D)  # hard targets too
    w = uniform(n, 0.2, 2.0)
    # Saturated and tiny probabilities, both targets, both clamp modes.
    pe = f32(torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1e-8, 1e-8, 1.0 - 2 ** -24,
                           1.0 - 2 ** -24, 3e-45, 0.5, 1e-30], dtype=D))
    ye = f32(torch.tensor([0.0, 1.0, 1.0, 0.0, 0.5, 0.25, 1.0, 0.0, 0.0, 1.0, 1.0,
                           0.5, 0.0], dtype=D))
    for red, code in REDUCTIONS:
        for (pp, yy), tag in (((p, y), "rand"), ((pe, ye), "edge")):
            for ww, wtag in ((None, "nw"), (w, "w")):
                run("bce.log.%s.%s.%s" % (tag, wtag, red), n, 1, pp, yy, red, code,
                    lambda a, r: F.binary_cross_entropy(a, yy, weight=ww, reduction=r),
                    w=ww, flag=0)
                run("bce.input.%s.%s.%s" % (tag, wtag, red), n, 1, pp, yy, red, code,
                    lambda a, r: bce_clamp_input(a, yy, ww, r), w=ww, flag=1)


def bce_logits():
    rows, cols = 3, 5
    x = uniform((rows, cols), -6.0, 6.0)
    x[0, 0], x[0, 1], x[2, 3] = 30.0, -30.0, 0.0
    y = f32((torch.rand((rows, cols), dtype=D) > 0.5).to(D))
    y[1, :] = uniform(cols, 0.0, 1.0)  # one row of soft targets
    w = uniform((rows, cols), 0.2, 2.0)
    pw = uniform(cols, 0.5, 3.0)
    xe = f32(torch.tensor([[1000.0, -1000.0, 1000.0, -1000.0, 88.0],
                           [-88.0, 120.0, -120.0, 17.0, -17.0]], dtype=D))
    ye = f32(torch.tensor([[0.0, 1.0, 1.0, 0.0, 1.0],
                           [0.0, 0.0, 1.0, 0.5, 0.5]], dtype=D))
    for red, code in REDUCTIONS:
        for ww, wtag in ((None, "nw"), (w, "w")):
            for pp, ptag in ((None, "npw"), (pw, "pw")):
                run("bce_logits.%s.%s.%s" % (wtag, ptag, red), rows, cols, x, y, red, code,
                    lambda a, r: F.binary_cross_entropy_with_logits(
                        a, y, weight=ww, pos_weight=pp, reduction=r),
                    w=ww, pw=pp)
        run("bce_logits.edge.pw." + red, 2, cols, xe, ye, red, code,
            lambda a, r: F.binary_cross_entropy_with_logits(
                a, ye, pos_weight=pw, reduction=r), pw=pw)


# --------------------------------------------------------------------- KL

def kl():
    rows, cols = 3, 4
    x = f32(F.log_softmax(torch.randn((rows, cols), dtype=D) * 2, dim=1))
    t = f32(F.softmax(torch.randn((rows, cols), dtype=D) * 2, dim=1))
    t[0, 1] = 0.0  # 0 log 0 = 0
    t[2, 0] = 0.0
    tl = f32(F.log_softmax(torch.randn((rows, cols), dtype=D) * 2, dim=1))
    reds = REDUCTIONS + [("batchmean", 3)]
    for red, code in reds:
        for tt, lt in ((t, 0), (tl, 1)):
            run("kl.lt%d.%s" % (lt, red), rows, cols, x, tt, red, code,
                lambda a, r: F.kl_div(a, tt, reduction=r, log_target=bool(lt)), flag=lt)


print("# Golden values for the element-wise losses, made by tests/gen_golden_losses.py")
print("# with PyTorch %s in float64 on float32 inputs.  Do not edit by hand." %
      torch.__version__)
regression()
bce()
bce_logits()
kl()
