#!/usr/bin/env bash
# The native Catch2 suites under AddressSanitizer + UndefinedBehaviorSanitizer (issue 9).
# Configures build/asan with -DVLC_SANITIZE=ON -DVLC_USE_OPENMP=OFF -DVLC_BUILD_CLI=ON
# -DCMAKE_BUILD_TYPE=RelWithDebInfo, builds vlc_tests and vlc_native_tests, runs both with
#   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# OpenMP is off because libgomp is not instrumented (ASan would report its thread pool's
# allocations and races it cannot see; the OpenMP loops are the same code serially).
# VLC_SANITIZE_FILTER (a Catch2 test spec) narrows the core suite; the default runs all of it
# except the tags hidden by default ([.k-bench], a benchmark).
# Ends with one line "N passed, N failed" (Catch2 test cases; a sanitizer abort counts as a failure).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/catch_counts.bash
dir=${VLC_ASAN_BUILD:-build/asan}
jobs=${VLC_JOBS:-2}
filter=${VLC_SANITIZE_FILTER:-}
passed=0; failed=0
mkdir -p "$(dirname "$dir")"

if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DVLC_SANITIZE=ON -DVLC_USE_OPENMP=OFF -DVLC_BUILD_CLI=ON -DVLC_BUILD_TESTS=ON \
    -DVLC_USE_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir.configure.log" 2>&1 \
    || { tail -20 "$dir.configure.log"; echo "0 passed, 1 failed"; exit 1; }
fi
targets="vlc_tests"
if ninja -C "$dir" -t targets all 2>/dev/null | grep -q "^vlc_native_tests:"; then targets="$targets vlc_native_tests"; fi
if ! ninja -C "$dir" -j "$jobs" $targets >"$dir.build.log" 2>&1; then
  tail -30 "$dir.build.log"
  echo "0 passed, 1 failed"
  exit 1
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# count <log>: adds Catch2's closing line to the totals; no closing line (an abort) is one failure.
count() {
  local log=$1 p f
  catch_counts "$log"
  if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log"; then
    grep -E -A12 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log" | head -60
    [ "$f" -eq 0 ] && f=1
  fi
  passed=$((passed + p)); failed=$((failed + f))
}

echo "-- core suite under ASan+UBSan ($dir/tests/vlc_tests${filter:+ $filter})"
log="$dir.vlc_tests.log"
start=$(date +%s)
# shellcheck disable=SC2086
"$dir/tests/vlc_tests" --use-colour no --durations yes $filter >"$log" 2>&1
echo "   $(($(date +%s) - start)) s; slowest test cases:"
grep -E "^[0-9]+\.[0-9]+ s: " "$log" | sort -rn | head -5 | sed 's/^/   /'
tail -3 "$log"
count "$log"

if [ -x "$dir/native/vlc_native_tests" ]; then
  echo "-- .npy / JSON unit tests under ASan+UBSan ($dir/native/vlc_native_tests)"
  log="$dir.vlc_native_tests.log"
  "$dir/native/vlc_native_tests" --use-colour no >"$log" 2>&1
  tail -3 "$log"
  count "$log"
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
