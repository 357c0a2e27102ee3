#!/usr/bin/env bash
# Tokens/s of the CLIP and GPT-2 tokenizers before and after they moved onto Microsoft.ML.Tokenizers, side by side.
#
#   benchmarks/TokenizerComparison/run.sh [OLD_COMMIT]
#
# OLD_COMMIT defaults to the parent of the commit that deleted our own byte-pair encoder
# (src/CrossModal.Text/Tokenization/BytePairEncoding.cs). It is exported (git archive) into a temporary folder, this
# checkout's TokenizerComparisonBenchmarks.cs is copied into it (the benchmark uses only the public ITokenizer
# surface, which both versions share), and BenchmarkDotNet runs the same benchmark in both trees ROUNDS times
# (default 2), old first in odd rounds and new first in even ones, so that changes in machine load hit both.
# BDN_ARGS (default: 5 warm-ups, 15 iterations) sets the job. Prints one markdown table (best round of each) and
# leaves BenchmarkDotNet's reports under $OUT (default: a temporary folder).
set -euo pipefail

root=$(git rev-parse --show-toplevel)
deleting=$(git -C "$root" log -1 --format=%H --diff-filter=D -- src/CrossModal.Text/Tokenization/BytePairEncoding.cs)
old=${1:-${deleting}^}
rounds=${ROUNDS:-2}
read -r -a bdn_args <<< "${BDN_ARGS:---warmupCount 5 --iterationCount 15 --launchCount 1}"
out=${OUT:-$(mktemp -d)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/old"
git -C "$root" archive "$old" | tar -x -C "$work/old"
cp "$root/benchmarks/CrossModal.Benchmarks/TokenizerComparisonBenchmarks.cs" "$work/old/benchmarks/CrossModal.Benchmarks/"
echo "old: $(git -C "$root" log -1 --format='%h %s' "$old" | cut -c1-100)" >&2
echo "new: $(git -C "$root" log -1 --format='%h %s' | cut -c1-100) (working tree)" >&2

bench() { # tree label round
  (cd "$1" && dotnet run -c Release --project benchmarks/CrossModal.Benchmarks -- \
     --filter '*TokenizerComparisonBenchmarks*' "${bdn_args[@]}" --inProcess --exporters csv \
     --artifacts "$out/$2-$3") >&2
}

for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then
    bench "$work/old" old "$round"; bench "$root" new "$round"
  else
    bench "$root" new "$round"; bench "$work/old" old "$round"
  fi
done

python3 - "$out" "$rounds" <<'PY'
import csv, glob, os, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def ns(text):
    value, unit = text.replace(",", "").split()
    return float(value) * {"ns": 1, "μs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
best = {}
for label in ("old", "new"):
    for r in range(1, rounds + 1):
        for path in glob.glob(os.path.join(out, f"{label}-{r}", "results", "*TokenizerComparison*-report.csv")):
            for row in csv.DictReader(open(path, encoding="utf-8-sig")):
                key = (row["Method"], label)
                best[key] = min(best.get(key, float("inf")), ns(row["Mean"]))
print("| benchmark | old M tokens/s | new M tokens/s | new / old |")
print("|---|---:|---:|---:|")
for method in ("ClipEncode", "ClipDecode", "Gpt2Encode", "Gpt2Decode"):
    o, n = 1e3 / best[(method, "old")], 1e3 / best[(method, "new")]
    print(f"| {method} | {o:.1f} | {n:.1f} | {n / o:.2f} |")
PY
