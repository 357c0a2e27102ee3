#!/usr/bin/env bash
# Builds the GPU check runner on a machine with the .NET SDK: a self-contained, compressed single-file linux-x64
# executable (ILGPU is not trimmed: it compiles kernels from IL by reflection) plus the PyTorch fixtures it reads.
# Copy the output folder to the GPU machine and run benchmarks/gpu/run.sh there (no SDK needed).
# Usage: benchmarks/gpu/publish.sh [OUTPUT_DIR]   (default: benchmarks/gpu/dist)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/dist}
dotnet publish "$here/CrossModal.GpuRunner/CrossModal.GpuRunner.csproj" -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:DebugType=None -p:GenerateDocumentationFile=false -o "$out"
# Windows-only tracing DLLs that BenchmarkDotNet's diagnostics package brings along.
rm -rf "$out/amd64" "$out/x86" "$out/arm64"
du -sh "$out"
ls -l "$out/crossmodal-gpu"
