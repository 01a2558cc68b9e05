#!/bin/sh
# Runs bits_digest at several OMP_NUM_THREADS (and with dynamic teams) and fails
# unless every run prints the same digest.
set -eu
prog=./tests/bits_digest
ref=$(OMP_NUM_THREADS=1 $prog)
for n in 2 3 7 16; do
    for dyn in false true; do
        got=$(OMP_NUM_THREADS=$n OMP_DYNAMIC=$dyn OMP_SCHEDULE=dynamic,1 $prog)
        if [ "$got" != "$ref" ]; then
            echo "digest at OMP_NUM_THREADS=$n OMP_DYNAMIC=$dyn: $got, at 1 thread: $ref" >&2
            exit 1
        fi
    done
done
echo "$ref (identical at 1, 2, 3, 7, 16 threads)"
