#!/usr/bin/python3
"""Generate tests/golden_ce.txt: golden values for the softmax and cross-entropy
family, computed by PyTorch (Debian's python3-torch, run with /usr/bin/python3).

Inputs are float32.  Expected outputs are PyTorch's results in float64 on those
same float32 inputs (the "high-precision reference"); the script also checks that
PyTorch's own float32 results agree with them, so the file carries PyTorch's
semantics, not just our formulas.  Regenerate with:

    /usr/bin/python3 tests/gen_golden.py > tests/golden_ce.txt
"""
import math
import sys

import torch
import torch.nn.functional as F

MEAN, SUM, NONE = 0, 1, 2
RED = {MEAN: "mean", SUM: "sum", NONE: "none"}
KIND = {"ce": 0, "ce_prob": 1, "nll": 2, "log_softmax": 3, "softmax": 4}

gen = torch.Generator().manual_seed(20261203)
out = sys.stdout


def fmt(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def emit(name, arrays):
    out.write("case %s\n" % name)
    for key, vals in arrays.items():
        vals = torch.as_tensor(vals).reshape(-1).tolist()
        out.write("%s %d %s\n" % (key, len(vals), " ".join(fmt(v) for v in vals)))
    out.write("end\n")


def rand(*shape, lo=-4.0, hi=4.0):
    return (torch.rand(*shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo).float()


def agree(a32, a64, what):
    """PyTorch float32 must agree with the float64 reference (sanity of the data)."""
    a32 = a32.double()
    fin = torch.isfinite(a64)
    same_nonfinite = torch.equal(torch.isnan(a32), torch.isnan(a64)) and torch.equal(
        a32[torch.isinf(a64)], a64[torch.isinf(a64)])
    ok = same_nonfinite and torch.allclose(a32[fin], a64[fin], rtol=1e-4, atol=1e-5)
    if not ok:
        raise SystemExit("float32 and float64 PyTorch disagree for %s:\n%s\n%s" % (what, a32, a64))


# ------------------------------------------------------------- cross-entropy
def ce_case(name, kind, x, target, reduction, weight=None, smoothing=0.0,
            ignore_index=-100, gout=None):
    rows, cols = x.shape
    if gout is None:
        gout = rand(rows, lo=0.25, hi=1.5) if reduction == NONE else torch.tensor([0.75])

    def loss_fn(inp, dtype):
        w = None if weight is None else weight.to(dtype)
        if kind == "ce":
            return F.cross_entropy(inp, target, weight=w, ignore_index=ignore_index,
                                   reduction=RED[reduction], label_smoothing=smoothing)
        if kind == "ce_prob":
            return F.cross_entropy(inp, target.to(dtype), weight=w,
                                   reduction=RED[reduction], label_smoothing=smoothing)
        # nll has no label smoothing in PyTorch; it is tested with smoothing = 0 only.
        return F.nll_loss(inp, target, weight=w, ignore_index=ignore_index,
                          reduction=RED[reduction])

    res = {}
    for dtype in (torch.float32, torch.float64):
        xi = x.to(dtype).clone().requires_grad_(True)
        loss = loss_fn(xi, dtype)
        g = gout.to(dtype) if reduction == NONE else gout.to(dtype).reshape(())
        (grad,) = torch.autograd.grad(loss, xi, g, allow_unused=False)
        xj = x.to(dtype).clone().requires_grad_(True)
        l1 = loss_fn(xj, dtype)
        (grad1,) = torch.autograd.grad(l1.sum() if reduction == NONE else l1, xj)
        res[dtype] = (loss.detach(), grad, grad1)
    for i, what in enumerate(("loss", "grad", "grad_fused")):
        agree(res[torch.float32][i], res[torch.float64][i], name + "/" + what)
    loss64, grad64, grad1_64 = res[torch.float64]
    arrays = {
        "kind": [KIND[kind]],
        "shape": [rows, cols],
        "opts": [reduction, smoothing, ignore_index],
        "x": x,
        "target": target,
    }
    if weight is not None:
        arrays["weight"] = weight
    arrays.update({"gout": gout, "loss": loss64, "grad": grad64, "grad_fused": grad1_64})
    emit(name, arrays)


def targets(rows, cols, ignore=(), ignore_index=-100):
    t = torch.randint(0, cols, (rows,), generator=gen)
    for r in ignore:
        t[r] = ignore_index
    return t


def soft_targets(rows, cols, normalise=True):
    t = torch.rand(rows, cols, generator=gen, dtype=torch.float64)
    if normalise:
        t = t / t.sum(1, keepdim=True)
    return t.float()


# The seed's classification example.
seed_x = torch.tensor([[2.0, 0.5, 0.1], [0.3, 1.8, 0.2]])
for red in (MEAN, SUM, NONE):
    ce_case("ce_seed_%s" % RED[red], "ce", seed_x, torch.tensor([0, 1]), red)

# Every option and reduction, on high-entropy data.
R, C = 9, 7
x = rand(R, C)
w = rand(C, lo=0.2, hi=2.0)
for red in (MEAN, SUM, NONE):
    tag = RED[red]
    ce_case("ce_plain_" + tag, "ce", x, targets(R, C), red)
    ce_case("ce_ignore_" + tag, "ce", x, targets(R, C, ignore=(1, 4)), red)
    ce_case("ce_ignore2_" + tag, "ce", x, targets(R, C, ignore=(0, 5), ignore_index=2), red,
            ignore_index=2)
    ce_case("ce_weight_" + tag, "ce", x, targets(R, C, ignore=(3,)), red, weight=w)
    for eps in (0.1, 1.0):
        ce_case("ce_smooth%g_%s" % (eps, tag), "ce", x, targets(R, C, ignore=(2,)), red,
                smoothing=eps)
        ce_case("ce_weight_smooth%g_%s" % (eps, tag), "ce", x, targets(R, C, ignore=(2, 6)),
                red, weight=w, smoothing=eps)
    # Probability targets.
    ce_case("ce_prob_" + tag, "ce_prob", x, soft_targets(R, C), red)
    ce_case("ce_prob_unnorm_" + tag, "ce_prob", x, soft_targets(R, C, normalise=False), red)
    ce_case("ce_prob_weight_smooth_" + tag, "ce_prob", x, soft_targets(R, C), red,
            weight=w, smoothing=0.2)
    # NLL on log-probabilities.
    logp = F.log_softmax(rand(R, C).double(), 1).float()
    ce_case("nll_" + tag, "nll", logp, targets(R, C, ignore=(7,)), red)
    ce_case("nll_weight_" + tag, "nll", logp, targets(R, C, ignore=(0,)), red, weight=w)

# More rows than a leaf.  (Rows longer than a chunk are checked in C against a
# long double reference instead, to keep this file small.)
ce_case("ce_many_mean", "ce", rand(37, 5), targets(37, 5, ignore=(3, 20)), MEAN,
        weight=rand(5, lo=0.5, hi=1.5), smoothing=0.1)

# Edge values from the contract.
for red in (MEAN, SUM, NONE):
    ce_case("ce_allignored_" + RED[red], "ce", x[:4], torch.full((4,), -100), red)
    ce_case("ce_allignored_weight_smooth_" + RED[red], "ce", x[:4], torch.full((4,), -100),
            red, weight=w, smoothing=0.3)
    ce_case("ce_empty_" + RED[red], "ce", torch.zeros(0, 4), torch.zeros(0, dtype=torch.long),
            red)
masked = torch.tensor([[-float("inf"), 1.0, 2.0], [0.5, -float("inf"), -1.0]])
ce_case("ce_target_neginf_mean", "ce", masked, torch.tensor([0, 0]), MEAN)
ce_case("ce_mask_mean", "ce", masked, torch.tensor([2, 2]), MEAN)
ce_case("ce_1e30_mean", "ce", torch.tensor([[1e30, -1e30, 0.0]]), torch.tensor([1]), MEAN)
ce_case("ce_1000_none", "ce", torch.tensor([[1000.0, 999.0, 998.0], [-1000.0, 1000.0, 0.0]]),
        torch.tensor([2, 0]), NONE)


# ----------------------------------------------------- log_softmax / softmax
def sm_case(name, kind, x):
    rows, cols = x.shape
    gy = rand(rows, cols, lo=-1, hi=1)
    res = {}
    for dtype in (torch.float32, torch.float64):
        xi = x.to(dtype).clone().requires_grad_(True)
        y = F.log_softmax(xi, 1) if kind == "log_softmax" else F.softmax(xi, 1)
        # Backward from the float32 forward output, as the C API takes it.
        (gx,) = torch.autograd.grad(y, xi, gy.to(dtype))
        res[dtype] = (y.detach(), gx)
    agree(res[torch.float32][0], res[torch.float64][0], name + "/y")
    y32 = res[torch.float32][0]
    # The C backward takes the float32 forward output y; reference from it in float64.
    y64 = y32.double()
    g64 = gy.double()
    if kind == "log_softmax":
        gx_ref = g64 - torch.exp(y64) * g64.sum(1, keepdim=True)
    else:
        gx_ref = y64 * (g64 - (g64 * y64).sum(1, keepdim=True))
    emit(name, {"kind": [KIND[kind]], "shape": [rows, cols], "x": x,
                "y": res[torch.float64][0], "yin": y32, "gy": gy, "gx": gx_ref})


inf, nan = float("inf"), float("nan")
special = torch.tensor([
    [1000.0, 999.0, 0.0, -1000.0],
    [1e30, -1e30, 0.0, 1.0],
    [-inf, 0.5, -inf, 2.0],
    [-inf, -inf, -inf, -inf],
    [inf, 0.0, 1.0, 2.0],
    [nan, 0.0, 1.0, 2.0],
    [3.0, 3.0, 3.0, 3.0],
])
for kind in ("log_softmax", "softmax"):
    sm_case(kind + "_rand", kind, rand(11, 13, lo=-10, hi=10))
    sm_case(kind + "_special", kind, special)
