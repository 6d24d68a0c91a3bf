#!/usr/bin/env bash
# Run the workflow twice from scratch in two fresh folders with the same configuration and seed, and
# compare the NDVI outputs byte for byte. Usage: tools/determinism.sh [CONFIG.yaml] [TARGET]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
config="$(realpath "${1:-$repo/config/config.yaml}")"
target="${2:-results/ndvi_test.tif}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for run in a b; do
  mkdir -p "$work/$run"
  snakemake --snakefile "$repo/Snakefile" --directory "$work/$run" --configfile "$config" --cores 2 \
    "$target" >"$work/$run.log" 2>&1 || { tail -40 "$work/$run.log"; exit 1; }
done
sha256sum "$work/a/$target" "$work/b/$target"
if cmp -s "$work/a/$target" "$work/b/$target"; then
  echo "identical: two runs with the same seed give the same $target"
else
  echo "DIFFERENT: $target differs between the two runs" >&2
  exit 1
fi
