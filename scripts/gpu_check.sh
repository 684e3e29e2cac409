#!/usr/bin/env bash
# GPU check of the torch chapters, in one go (a few minutes on one GPU): the library tests with
# COURSE_DEVICE=cuda, benchmarks/gpu.py (CD-1 epoch and AIS against plain torch, notebooks 05 and 07
# FULL on cuda), and the CPU benchmarks of chapter 05 on 2 and on all cores. Needs nothing from the
# network: it uses .venv/bin/python when there is one, else python3, and skips what is not installed.
# Everything goes to $OUT (default build/gpu); the summary is $OUT/summary.txt.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-build/gpu}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg COURSE_DEVICE=cuda
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }
step() {   # step NAME SECONDS COMMAND...: run with a time limit, log to $OUT/NAME.log, note the status
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  note "$name: exit $rc in $((SECONDS - t0)) s ($(tail -n 1 "$OUT/$name.log" | cut -c1-160))"
  return 0
}
note "python: $PY ($($PY -c 'import sys; print(sys.version.split()[0])' 2>&1))"
if ! $PY -c 'import torch' > /dev/null 2>&1; then note "torch is not importable with $PY: nothing to check"; exit 1; fi
note "$($PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1)"
note "cpus: $(nproc)"

if $PY -c 'import pytest' > /dev/null 2>&1; then
  step tests_cuda 80 $PY -m pytest -q -p no:cacheprovider -p no:xdist -o addopts="" tests/test_rbm.py \
    tests/test_rbm_health.py tests/test_rbm_widgets.py tests/test_attention.py tests/test_modern.py
else
  note "tests_cuda: skipped (pytest is not installed for $PY)"
fi

if ! $PY -c 'import papermill, ipykernel' > /dev/null 2>&1; then
  note "notebooks: papermill or ipykernel missing for $PY: benchmarks/support/run_plain.py runs their code cells instead"
fi
step gpu_bench 200 $PY benchmarks/gpu.py --notebook-timeout 100 --out "$OUT/gpu.json" --notebook-out "$OUT/notebooks"

# CPU figures of issue 18 on this machine: 2 cores (taskset when available) and all cores
if command -v taskset > /dev/null 2>&1; then
  step cpu_rbm_train_2cores 60 taskset -c 0,1 $PY benchmarks/rbm_train.py --threads 2 --repeats 5 \
    --out "$OUT/rbm_train_2cores.json"
else
  step cpu_rbm_train_2threads 60 $PY benchmarks/rbm_train.py --threads 2 --repeats 5 --out "$OUT/rbm_train_2threads.json"
fi
step cpu_rbm_train_allcores 30 $PY benchmarks/rbm_train.py --repeats 5 --out "$OUT/rbm_train_allcores.json"
note "done; logs and JSON in $OUT"
