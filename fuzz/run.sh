#!/bin/sh
# A longer coverage-guided run of every fuzz target: fuzz/run.sh [SECONDS per target] [more fuzz.run options]
# Findings go to fuzz/crashes/, the growing corpus to fuzz/corpus/ (see fuzz/README.md).
cd "$(dirname "$0")/.." || exit 1
seconds=${1:-600}
[ $# -gt 0 ] && shift
exec python -m fuzz.run --seconds "$seconds" --json fuzz/crashes/summary.json "$@"
