#!/usr/bin/env bash
# The CUDA backend (issue 8): configures build/cuda with -DVLC_USE_CUDA=ON, builds
# vlc_cuda_tests (compiling the kernels proves they compile, also on a machine without a GPU),
# runs it, and ends with one line "N passed, N failed, N skipped". Without a CUDA device the
# GPU comparisons are skipped (and say so); without nvcc the whole runner is skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=${VLC_CUDA_BUILD:-build/cuda}
jobs=${VLC_JOBS:-2}

nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
if [ -z "$nvcc" ]; then
  echo "nvcc not found (PATH, /usr/local/cuda/bin): CUDA backend not built"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi

mkdir -p "$(dirname "$dir")"
start=$(date +%s)
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLC_USE_CUDA=ON -DVLC_BUILD_TESTS=ON \
    -DCMAKE_CUDA_COMPILER="$nvcc" >"$dir.configure.log" 2>&1 \
    || { tail -30 "$dir.configure.log"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$dir" -j "$jobs" vlc_cuda_tests >"$dir.build.log" 2>&1; then
  tail -40 "$dir.build.log"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "built vlc_cuda_tests in $(( $(date +%s) - start )) s ($(grep -c 'Building CUDA object' "$dir.build.log") CUDA object(s) compiled)"

log=$(mktemp)
"$dir/tests/vlc_cuda_tests" --use-colour no >"$log" 2>&1
status=$?
grep -v "^$" "$log" | tail -25
line=$(grep -E "^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped" "$log" | tail -1)
rm -f "$log"
if [ -z "$line" ]; then
  echo "vlc_cuda_tests did not finish (exit status $status)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$line"
[ "$status" -eq 0 ]
