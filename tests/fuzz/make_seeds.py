#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_api.c into corpus/ (run from this directory).

Any byte string is a valid input; the seeds only start the fuzzer at calls that
get past the argument checks: for every function of the lkr_fns table, a small
call (MEAN), a small call (NONE), and one large enough for the parallel paths
(SUM), each followed by bytes from a fixed generator.  The byte layout follows
LLVMFuzzerTestOneInput: function, rows, cols, one ld per matrix role, options,
reduction, smoothing, ignore_index, param, clamp, log_target, one NULL byte per
buffer, then data.
"""
import os
import random

# Per entry of lkr_fns (in order): whether it reads cols, and its number of
# matrix roles with a leading dimension.
FNS = ([(False, 0)] * 2 +                          # pairwise sums
       [(True, 2)] * 2 + [(True, 3)] * 2 +         # softmax, softmax backward
       [(True, 1), (True, 2), (True, 2), (True, 1), (True, 2)] +  # CE, NLL
       [(True, 2), (True, 3), (True, 3)] +         # CE with probability targets
       [(False, 0)] * 10 +                         # regression, BCE
       [(True, 0)] * 4)                            # BCE with logits, KL
SMALL = 5           # index of 5 in sizes[]
ROWS_BIG = 20       # index of 1000
COLS_BIG = 14       # index of 64
ELEMS_BIG = 24      # index of 20000
MEAN, SUM, NONE = 0, 1, 2

def seed(fn, big, red, rnd):
    has_cols, nld = FNS[fn]
    b = [fn]
    if has_cols:
        b += [ROWS_BIG, COLS_BIG] if big else [SMALL, SMALL]
    else:
        b += [ELEMS_BIG if big else SMALL]
    b += [0] * nld               # leading dimensions = cols
    b += [2, red, 0, 0, 31, 0, 1]  # options, reduction, smoothing 0, ignore -100,
                                   # param 1.0, clamp LOG, log_target 0
    b += [100] * 8               # no buffer is NULL
    b += [rnd.randrange(40, 256) for _ in range(96)]  # ordinary data values
    return bytes(b)

def main():
    rnd = random.Random(20240601)
    os.makedirs("corpus", exist_ok=True)
    for fn in range(len(FNS)):
        for tag, big, red in (("mean", False, MEAN), ("none", False, NONE),
                              ("big", True, SUM)):
            with open(f"corpus/seed-{fn:02d}-{tag}", "wb") as f:
                f.write(seed(fn, big, red, rnd))
    for k in range(8):
        with open(f"corpus/seed-random-{k}", "wb") as f:
            f.write(bytes(rnd.randrange(256) for _ in range(128)))

if __name__ == "__main__":
    main()
