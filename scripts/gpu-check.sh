#!/usr/bin/env bash
# gpu-check.sh OUTDIR: the whole GPU check, on a machine with an NVIDIA GPU
# (README "GPU"; made for the device tool's H200: 16 cores, CUDA 13, cuDNN
# from PyTorch's wheels, no Debian -dev packages, no internet). Within 9
# minutes it:
#   1. takes the CUDA binaries from .gpucheck/ (scripts/gpu-bundle.sh, run
#      where nvcc is; its libraries fill in what this machine lacks), or
#      builds them with `make CUDA=1` when there is no bundle;
#   2. runs the GPU tests (`zt_test gpu`, what `make test-gpu` runs);
#   3. runs the benchmark (bench_gpu: ztyle vs PyTorch on this GPU; and the
#      resize U-Net);
#   4. trains briefly: a few steps on the CPU, then --resume on the GPU
#      (the run moves between devices) on the bundled photos (or the demo
#      dataset when it is there); generates one drawing with the last
#      checkpoint on GPU and CPU (SSIM between them, TF32 on the GPU); and
#      evaluates the checkpoints (ztyle eval).
# OUTDIR gets at most 8 files: gpu-check.log (everything, with timings),
# test-gpu.log, bench-gpu.json, train-log.csv, eval.json, model.safetensors,
# SUMMARY (one line per step: ok/FAIL). Exit 0 when every step passed.
set -u
OUT=${1:?usage: bash scripts/gpu-check.sh OUTDIR}
cd "$(dirname "$0")/.." || exit 1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec > >(tee "$OUT/gpu-check.log") 2>&1
T0=$(date +%s)
WORK=${TMPDIR:-/tmp}/ztyle-gpucheck
rm -rf "$WORK" && mkdir -p "$WORK"
NT=$(nproc)
fails=0
step() { echo "== [$(($(date +%s) - T0)) s] $*"; }
# lim S: a step's time limit: S seconds, less when the 9 minutes (530 s of
# steps) would run out, so the whole check ends in time whatever hangs
lim() {
    local left=$((530 - ($(date +%s) - T0)))
    [ "$left" -lt "$1" ] && echo $((left > 1 ? left : 1)) || echo "$1"
}
result() { # result NAME RC
    if [ "$2" -eq 0 ]; then echo "ok   $1" >>"$OUT/SUMMARY"; else echo "FAIL $1 (exit $2)" >>"$OUT/SUMMARY"; fails=$((fails + 1)); fi
}
: >"$OUT/SUMMARY"

step "machine"
nvidia-smi -L 2>&1 || echo "nvidia-smi: not available"
echo "commit $(git rev-parse HEAD 2>/dev/null || echo '?'), $NT cores"

# --- 1. binaries ---
if [ -f .gpucheck/bundle.tar.xz ]; then
    step "binaries from .gpucheck (built at $(head -1 .gpucheck/COMMIT))"
    [ "$(head -1 .gpucheck/COMMIT)" = "$(git rev-parse HEAD 2>/dev/null)" ] ||
        echo "WARNING: the bundle was built from another commit: re-run scripts/gpu-bundle.sh"
    BIN=$WORK/bin
    tar -C "$WORK" -xJf .gpucheck/bundle.tar.xz
    mkdir -p "$WORK/fallback"
    for f in "$WORK"/lib/*; do # only what this machine lacks
        so=$(basename "$f")
        ldconfig -p | grep -q "^[[:space:]]*$so " || ln -s "$f" "$WORK/fallback/$so"
    done
    echo "bundled libraries used: $(find "$WORK/fallback" -mindepth 1 -printf "%f ")"
else
    step "no .gpucheck bundle: make CUDA=1"
    timeout "$(lim 240)" make -s -j"$NT" CUDA=1 build/release/ztyle build/release/zt_test build/release/bench_gpu
    result build $?
    BIN=build/release
    mkdir -p "$WORK/fallback"
fi
# CUDA's libraries: the toolkit's, then those of PyTorch's nvidia-* wheels (cuDNN)
LDP=$WORK/fallback
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    $(python3 -c 'import os, nvidia
for p in nvidia.__path__:
    for d in sorted(os.listdir(p)): print(os.path.join(p, d, "lib"))' 2>/dev/null); do
    [ -d "$d" ] && LDP=$LDP:$d
done
export LD_LIBRARY_PATH=$LDP${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
missing=$(ldd "$BIN/ztyle" 2>&1 | grep "not found")
if [ -n "$missing" ]; then
    echo "missing libraries: $missing"
    result libraries 1
    exit 1
fi
result libraries 0
Z=$BIN/ztyle

# --- 2. GPU tests ---
step "GPU tests (zt_test gpu = make test-gpu)"
ZT_TEST_TMP=$WORK/tt timeout "$(lim 100)" "$BIN/zt_test" gpu 2>&1 | tee "$OUT/test-gpu.log"
rc=${PIPESTATUS[0]}
# on a GPU nothing may be skipped
if [ "$rc" -eq 0 ] && ! tail -1 "$OUT/test-gpu.log" | grep -q " 0 failed, 0 skipped"; then rc=1; fi
result test-gpu "$rc"

# --- 3. benchmark ---
step "bench-gpu: ztyle_128 (official deconv U-Net) vs PyTorch, batch 8"
# PyTorch runs with its own libraries, not the bundle's
TORCH_PYTHON="env LD_LIBRARY_PATH= python3" timeout "$(lim 100)" "$BIN/bench_gpu" --config ztyle_128 \
    --batch 8 --reps 20 | tee "$WORK/bench1.txt"
rc=${PIPESTATUS[0]}
step "bench-gpu: resize U-Net (ztyle only), batch 8"
timeout "$(lim 40)" "$BIN/bench_gpu" --config ztyle_128 --batch 8 --reps 20 --resize --no-torch | tee "$WORK/bench2.txt"
rc2=${PIPESTATUS[0]}
grep -h '^{' "$WORK/bench1.txt" "$WORK/bench2.txt" >"$OUT/bench-gpu.json"
result bench $((rc || rc2))

# --- 4. training: CPU start, GPU resume, eval ---
DATA=.gpucheck/data
[ -d "$DATA/train" ] || DATA=${ZTYLE_DATASET:-../shared/datasets/clothing-small}
RUN=$WORK/run
TR=(--data "$DATA" --out "$RUN" --size 128 --batch 8 --epochs 4 --epochs-decay 2
    --save-every 2 --log-every 10 --threads "$NT")
step "train: 3 steps on the CPU"
timeout "$(lim 60)" "$Z" train "${TR[@]}" --device cpu --max-steps 3
rc=$?
result train-cpu "$rc"
step "train: --resume on the GPU to the end"
timeout "$(lim 120)" "$Z" train "${TR[@]}" --device cuda --resume
rc=$?
result train-cuda-resume "$rc"
cp "$RUN/log.csv" "$OUT/train-log.csv" 2>/dev/null
last=$(find "$RUN/ckpt" -name "gen_epoch_*.safetensors" 2>/dev/null | sort | tail -1)
[ -n "$last" ] && cp "$last" "$OUT/model.safetensors"
step "generate: the last checkpoint on the GPU and on the CPU, same drawing"
photo=$(find "$DATA/validation" -type f -name '*.jpg' | sort | sed -n 1p)
rc=1
if [ -n "$last" ] && [ -n "$photo" ] && "$Z" edges "$photo" "$WORK/sketch.png"; then
    timeout "$(lim 20)" "$Z" generate --model "$last" --sketch "$WORK/sketch.png" --device cuda \
        "$WORK/gen-cuda.png" &&
        timeout "$(lim 20)" "$Z" generate --model "$last" --sketch "$WORK/sketch.png" --device cpu \
            "$WORK/gen-cpu.png" &&
        "$Z" ssim "$WORK/gen-cuda.png" "$WORK/gen-cpu.png"
    rc=$?
fi
result generate-cuda-vs-cpu "$rc"
step "eval: every checkpoint of the run on the validation photos"
timeout "$(lim 60)" "$Z" eval --run "$RUN" --data "$DATA" --limit 48 --hints 3 --threads "$NT" --json \
    >"$OUT/eval.json"
result eval $?

step "done: $fails failed step(s)"
cat "$OUT/SUMMARY"
[ "$fails" -eq 0 ]
