#!/usr/bin/env bash
# The MPI build (issue 19, docs/distributed.md): `mpirun -np N vlcluster cluster` at N = 1..4
# ranks (oversubscribed: the machine may have fewer cores) must give the single-process
# build's answer for the same seed: labels equal up to a permutation (or ARI >= 0.99, reason in
# tests/mpi/compare.py), same K and kept nouns, β and eigenvalues within 1e-6. On the classic
# synthetic data (fixed and automatic K) and on the quality benchmark's CLIP-faithful settings
# (dogs at N = 1..4; stl10 and cifar20 at two rank counts each, for time). Plus: bad input
# gives one clear error, not one per rank. Builds build/mpi (-DVLC_USE_MPI=ON) and the reference
# vlcluster in build/native when missing. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
ref_dir=${VLC_NATIVE_BUILD:-build/native}
mpi_dir=${VLC_MPI_BUILD:-build/mpi}
jobs=${VLC_JOBS:-2}
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

configure_and_build() {  # <dir> <cmake options...>
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    mkdir -p "$dir"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.mpi-configure.log" 2>&1 \
      || { tail -20 "$dir.mpi-configure.log"; return 1; }
  fi
  nice -n 10 ninja -C "$dir" -j "$jobs" vlcluster >"$dir.mpi-build.log" 2>&1 || { tail -30 "$dir.mpi-build.log"; return 1; }
}
if ! configure_and_build "$ref_dir" || ! configure_and_build "$mpi_dir" -DVLC_USE_MPI=ON -DVLC_BUILD_TESTS=OFF; then
  echo "0 passed, 1 failed"
  exit 1
fi
ref="$root/$ref_dir/native/vlcluster"
bin="$root/$mpi_dir/native/vlcluster"

# One thread per rank: up to 4 ranks share the cores. Root (CI containers) needs Open MPI's consent.
export OMP_NUM_THREADS=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun_n() { local n=$1; shift; mpirun --oversubscribe -np "$n" "$@"; }

work=$(mktemp -d /tmp/vlc_mpi_XXXXXX)
trap 'rm -rf "$work"' EXIT
"$ref" synth --out "$work/synth" --m 1200 --k 8 --seed 5 --quiet || fail "synth (classic)"
for setting in dogs stl10 cifar20; do
  "$ref" synth --out "$work/$setting" --setting "$setting" --m 900 --seed 5 --quiet || fail "synth --setting $setting"
done

# compare_ranks <name> <data dir> <cluster options...>: reference once, then N = $ranks (1..4).
compare_ranks() {
  local name=$1 data=$2 ranks=${ranks:-1 2 3 4}; shift 2
  local args=(cluster --images "$data/images.npy" --nouns "$data/nouns.npy" --vocab "$data/words.txt" --quiet "$@")
  if ! "$ref" "${args[@]}" --out "$work/$name.ref.json" --labels-out "$work/$name.ref.npy"; then
    fail "$name: single-process reference run"
    return
  fi
  for n in $ranks; do
    local out="$work/$name.$n"
    if ! mpirun_n "$n" "$bin" "${args[@]}" --out "$out.json" --labels-out "$out.npy" >"$out.log" 2>&1; then
      fail "$name at N = $n: mpirun failed"; tail -5 "$out.log"; continue
    fi
    if /usr/bin/python3 tests/mpi/compare.py "$work/$name.ref.json" "$work/$name.ref.npy" "$out.json" "$out.npy" "$n" \
        >"$out.cmp" 2>&1; then
      pass "$name at N = $n: $(grep '^ok labels' "$out.cmp" | cut -c11-); $(grep '^ok eigen' "$out.cmp" | cut -c10-)"
    else
      fail "$name at N = $n:"; grep -v "^ok " "$out.cmp"
    fi
  done
}
compare_ranks synth-k8 "$work/synth" --k 8 --seed 11
compare_ranks synth-auto "$work/synth" --seed 12
compare_ranks dogs-k15 "$work/dogs" --k 15 --seed 13
# The quality benchmark's other two settings (bench/quality.py), at two rank counts each.
ranks="2 4" compare_ranks stl10-k10 "$work/stl10" --k 10 --seed 14
ranks="2 3" compare_ranks cifar20-k20 "$work/cifar20" --k 20 --seed 15

# Bad input: every rank meets the same error; rank 0 alone reports it, once, naming the file.
printf 'not a npy file' >"$work/bad.npy"
mpirun_n 2 "$bin" cluster --images "$work/bad.npy" --nouns "$work/synth/nouns.npy" --k 3 --quiet >"$work/bad.out" 2>"$work/bad.err"
code=$?
count=$(grep -c "bad.npy" "$work/bad.err")
if [ "$code" -ne 0 ] && [ "$count" -eq 1 ]; then pass "bad input at N = 2: one message, exit $code"
else fail "bad input at N = 2: exit $code, $count messages naming bad.npy:"; cat "$work/bad.err"; fi

# One rank fails alone (fault injection, native/mpi/backend.cpp): the job must end, not hang in the
# exchange the other rank waits in, with the failing rank's message and a non-zero exit.
start=$(date +%s)
VLC_TEST_FAIL_RANK=1 timeout 120 mpirun --oversubscribe -np 2 -x VLC_TEST_FAIL_RANK "$bin" cluster --images "$work/synth/images.npy" \
  --nouns "$work/synth/nouns.npy" --k 8 --quiet --out "$work/fail.json" >"$work/fail.out" 2>"$work/fail.err"
code=$?
took=$(( $(date +%s) - start ))
if [ "$code" -ne 0 ] && [ "$code" -ne 124 ] && grep -q "rank 1 of 2: .*injected failure in the NTK search" "$work/fail.err"; then
  pass "one rank failing alone ends the job in ${took} s (exit $code) with its message"
else fail "one rank failing alone: exit $code after ${took} s (124 = hung until the timeout):"; cat "$work/fail.err"; fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
