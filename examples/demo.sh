#!/bin/sh
# demo.sh - runs every losskit example, then shows that training is deterministic:
# the digits network is trained again with OMP_NUM_THREADS=1 and =2, and the two
# runs must end with the same bits in every weight and in the final loss.
#
# usage: demo.sh PROGRAM_DIR OUT_DIR     (`make demo` runs it from the build tree)
set -eu

bin=${1:-examples}
out=${2:-.}
mkdir -p "$out"

section() {
    printf '\n==== %s\n' "$1"
}

start=$(date +%s)

section "seed examples: cross-entropy at 1, 2, 3, 7 threads; MSE"
"$bin/seed_classification"

section "house prices: linear regression with lk_mse_f32"
"$bin/house_prices" -o "$out"

section "diagnosis: logistic regression with lk_bce_logits_f32 and pos_weight"
"$bin/diagnosis" -o "$out"

section "digits: 64-64-10 network with lk_cross_entropy_fused_f32"
"$bin/digits" -o "$out"

section "determinism: digits trained again at OMP_NUM_THREADS=1 and 2"
fp1=$(OMP_NUM_THREADS=1 "$bin/digits" -q -o "$out" | grep '^fingerprint:')
echo "1 thread:  $fp1"
fp2=$(OMP_NUM_THREADS=2 "$bin/digits" -q -o "$out" | grep '^fingerprint:')
echo "2 threads: $fp2"
if [ -n "$fp1" ] && [ "$fp1" = "$fp2" ]; then
    echo "IDENTICAL: same final loss and same weights, bit for bit"
else
    echo "DIFFERENT: the thread count changed the result" >&2
    exit 1
fi

printf '\ndemo finished in %s s; loss curves are in %s/\n' "$(( $(date +%s) - start ))" "$out"
