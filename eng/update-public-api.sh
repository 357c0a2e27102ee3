#!/usr/bin/env bash
# Regenerates the public API lists of every package (src/*/PublicAPI.Unshipped.txt) from the code: run it after a
# change to the public surface (or after merging branches that changed it), review the diff, and commit it.
#
# How: every PublicAPI.Unshipped.txt is reset to its header, the src projects are built once with the public API
# analyzer's RS0016 ("symbol is not part of the declared public API") as a warning, and each warning's symbol — the
# analyzer prints it in the exact line format of the lists — is written to its project's Unshipped list, sorted.
# PublicAPI.Shipped.txt (what a released version promised) is never rewritten: a shipped symbol that no longer exists
# stays an RS0017 error for a person to judge, because removing it breaks consumers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

projects=()
for csproj in src/*/*.csproj; do
  projects+=("$csproj")
  dir="$(dirname "$csproj")"
  [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '#nullable enable\n' > "$dir/PublicAPI.Shipped.txt"
  printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
done

# One build of all src projects, through a solution filter (no test project is built).
{
  printf '{ "solution": { "path": "%s", "projects": [' "$(pwd)/CrossModal.sln"
  sep=""
  for csproj in "${projects[@]}"; do printf '%s"%s"' "$sep" "$csproj"; sep=", "; done
  printf '] } }\n'
} > "$work/src.slnf"

echo "update-public-api: building ${#projects[@]} src projects with RS0016 as a warning" >&2
if ! dotnet build "$work/src.slnf" -c Release -nologo -v:q -clp:NoSummary \
    -p:CrossModalPublicApiUpdate=true -p:TreatWarningsAsErrors=false > "$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  echo "update-public-api: the build failed (above); fix it first" >&2
  exit 1
fi

# Lines look like: /path/File.cs(10,18): warning RS0016: Symbol 'NAME' is not part of the declared public API (...) [/path/X.csproj]
for csproj in "${projects[@]}"; do
  dir="$(dirname "$csproj")"
  abs="$(cd "$dir" && pwd)/$(basename "$csproj")"
  {
    printf '#nullable enable\n'
    { grep -F "warning RS0016: " "$work/build.log" || true; } | { grep -F "[$abs]" || true; } \
      | sed -E "s/.*warning RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/" \
      | LC_ALL=C sort -u
  } > "$dir/PublicAPI.Unshipped.txt"
  count=$(($(wc -l < "$dir/PublicAPI.Unshipped.txt") - 1))
  echo "  $dir: $count unshipped symbols" >&2
done

if grep -q "RS0017" "$work/build.log"; then
  echo "update-public-api: shipped symbols that no longer exist (RS0017) — restore them or remove them from PublicAPI.Shipped.txt deliberately:" >&2
  grep -F "RS0017" "$work/build.log" | sed -E "s/.*Symbol '(.*)' is part of.*\[(.*)\]/  \2: \1/" | LC_ALL=C sort -u >&2
  exit 1
fi
