#!/usr/bin/env bash
# Runs the GPU check on a Linux x64 machine with an NVIDIA GPU and no .NET SDK, within 8 minutes:
#   1. prints the machine, driver, GPU architecture, PTX ISA and cuBLAS versions;
#   2. runs the backend conformance suite on the GPU (on ILGPU's CPU accelerator when no GPU is found);
#   3. runs the GPU benchmarks (BenchmarkDotNet, short job, in process);
#   4. runs the PyTorch reference (torch_reference.py) when PyTorch with CUDA is installed;
#   5. leaves summary.json (and torch.json) in the output folder.
# Usage: benchmarks/gpu/run.sh [RUNNER_DIR]
#   RUNNER_DIR holds crossmodal-gpu and fixtures/ as written by publish.sh (default: benchmarks/gpu/dist).
#   CROSSMODAL_GPU_OUT overrides the output folder; CROSSMODAL_REQUIRE_CUDA=1 makes a missing GPU a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runner_dir=${1:-$here/dist}
out=${CROSSMODAL_GPU_OUT:-$here/out/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
start=$(date +%s)

echo "== machine"
uname -srm
echo "cores: $(nproc)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || true
else
  echo "nvidia-smi not found"
fi

if [ ! -x "$runner_dir/crossmodal-gpu" ]; then
  echo "No runner at $runner_dir/crossmodal-gpu: build it with benchmarks/gpu/publish.sh on a machine with the .NET SDK." >&2
  exit 3
fi

echo "== CrossModal runner (conformance + benchmarks)"
# 6 minutes for the runner, 1 for PyTorch, the rest for start-up: the whole script stays under 8 minutes.
timeout 360 "$runner_dir/crossmodal-gpu" --json "$out/summary.json" 2>&1 | tee "$out/runner.log"
status=${PIPESTATUS[0]}
if [ "$status" = 124 ]; then echo "The runner ran past its 6-minute limit." >&2; fi

echo "== PyTorch reference"
if python3 -c "import torch" >/dev/null 2>&1; then
  timeout 60 python3 "$here/torch_reference.py" --json "$out/torch.json" 2>&1 | tee "$out/torch.log"
else
  echo "PyTorch is not installed: reference skipped."
fi

echo "== done in $(( $(date +%s) - start )) s; results in $out"
exit "$status"
