#!/usr/bin/env bash
# Every fuzz target of fuzz/ built and run briefly (issue 14: scripts/fuzz had stopped
# building, unnoticed, when read_vocab's return type changed). Runs scripts/fuzz — the clang
# build in build/fuzz (ASan + UBSan + libFuzzer), then each target from its committed corpus —
# for VLC_FUZZ_SECONDS per target (default 20: five targets, under 2 minutes of fuzzing),
# without merging new inputs into fuzz/corpus/ (VLC_FUZZ_MERGE=0: a test run leaves the
# tree as it was). A finding is kept in build/fuzz-findings/<target>/.
# Ends with one line "N passed, N failed" (targets; a build failure is one failure).
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang++ >/dev/null; then
  echo "clang++ not found (scripts/setup installs clang and libclang-rt-dev)"
  echo "0 passed, 1 failed"
  exit 1
fi
VLC_FUZZ_MERGE=0 bash scripts/fuzz "${VLC_FUZZ_SECONDS:-20}"
