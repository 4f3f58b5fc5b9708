#!/usr/bin/env bash
# The native CLI's tests: the .npy/JSON unit tests (vlc_native_tests, Catch2) and the
# end-to-end checks of `vlcluster` (tests/cli/check_cli.py). Run by scripts/test after the
# native build in build/native; builds the two targets there if they are missing.
# Ends with one line "N passed, N failed" over both.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
source scripts/lib/catch_counts.bash
dir=${VLC_NATIVE_BUILD:-build/native}
jobs=${VLC_JOBS:-2}
passed=0; failed=0

if [ ! -f "$dir/build.ninja" ]; then
  mkdir -p "$dir"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$dir.cli-configure.log" 2>&1 \
    || { tail -20 "$dir.cli-configure.log"; echo "0 passed, 1 failed"; exit 1; }
fi
# ninja is a no-op when both are up to date; vlc_native_tests exists only with VLC_BUILD_TESTS.
targets="vlcluster"
if ninja -C "$dir" -t targets all 2>/dev/null | grep -q "^vlc_native_tests:"; then targets="$targets vlc_native_tests"; fi
if ! ninja -C "$dir" -j "$jobs" $targets >"$dir.cli-build.log" 2>&1; then
  tail -30 "$dir.cli-build.log"
  echo "0 passed, 1 failed"
  exit 1
fi
bin="$dir/native/vlcluster"
unit="$dir/native/vlc_native_tests"

echo "-- npy / JSON unit tests (vlc_native_tests)"
if [ -x "$unit" ]; then
  log=$(mktemp)
  "$unit" --use-colour no >"$log" 2>&1
  tail -3 "$log"
  catch_counts "$log"
  [ "$f" -eq 0 ] || head -60 "$log"
  rm -f "$log"
  passed=$((passed + p)); failed=$((failed + f))
else
  echo "vlc_native_tests not built (VLC_BUILD_TESTS=OFF): skipped"
fi

echo "-- end-to-end checks of $bin (tests/cli/check_cli.py)"
work=$(mktemp -d /tmp/vlc_cli_XXXXXX)
log="$work.log"
python3 tests/cli/check_cli.py "$root/$bin" "$work/run" >"$log" 2>&1
grep -v "^ok " "$log"
line=$(grep -E "^cli checks: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
if [ -n "$line" ]; then
  p=$(echo "$line" | grep -o "[0-9]* passed" | grep -o "[0-9]*")
  f=$(echo "$line" | grep -o "[0-9]* failed" | grep -o "[0-9]*")
else
  echo "check_cli.py did not finish"
  p=0; f=1
fi
passed=$((passed + p)); failed=$((failed + f))
rm -rf "$work" "$log"

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
