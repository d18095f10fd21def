#!/usr/bin/env bash
# gpu-bundle.sh: packs, on a development machine with nvcc and cuDNN (no GPU
# needed), what scripts/gpu-check.sh needs on a GPU machine that has the
# NVIDIA driver, CUDA and cuDNN but neither Debian's -dev packages nor the
# internet, into .gpucheck/ (ignored by git; the device tool carries at most
# 64 MiB with the working tree, which is ~30 MiB, so the bundle stays under 32):
#   bundle.tar.xz  bin/: ztyle, zt_test and bench_gpu built here with
#                `make CUDA=1` (debug info stripped); lib/: the shared libraries
#                they load besides glibc and CUDA's own (libjpeg, libpng,
#                oneDNN, the reference BLAS/LAPACK rather than OpenBLAS, ...);
#                gpu-check.sh uses only those the GPU machine lacks
#   data/        a CC0 subset of the demo dataset: the first PER photos (sorted
#                by name) of each class of train/, VAL of validation/
#   COMMIT       the commit the binaries were built from (gpu-check.sh warns
#                when the tree it runs on differs)
# Usage: bash scripts/gpu-bundle.sh [PER [VAL]]      (defaults 30 and 8)
# Then, on the device tool: carry .gpucheck, run `bash scripts/gpu-check.sh OUTDIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
PER=${1:-30}
VAL=${2:-8}
DATASET=${ZTYLE_DATASET:-../shared/datasets/clothing-small}
OUT=.gpucheck
LIMIT_MB=32

if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
    echo "gpu-bundle: no nvcc here: the CUDA binaries cannot be built" >&2
    exit 1
fi
if [ ! -d "$DATASET/train" ]; then
    echo "gpu-bundle: no dataset at $DATASET (set ZTYLE_DATASET)" >&2
    exit 1
fi
make -s -j"$(nproc)" CUDA=1 build/release/ztyle build/release/zt_test build/release/bench_gpu
nm build/release/ztyle | grep zt_engine_cuda_init >/dev/null || {
    echo "gpu-bundle: build/release/ztyle has no CUDA backend (make CUDA=1 did not take)" >&2
    exit 1
}

rm -rf "${OUT:?}"
PACK=$OUT/pack
mkdir -p "$PACK/bin" "$PACK/lib" "$OUT/data"
for b in ztyle zt_test bench_gpu; do strip --strip-debug -o "$PACK/bin/$b" "build/release/$b"; done
# BLAS/LAPACK: Debian's reference builds (small) instead of whatever the
# alternatives point at (OpenBLAS: 36 MB); the GPU check does not lean on them
REF=""
for d in /usr/lib/x86_64-linux-gnu/blas /usr/lib/x86_64-linux-gnu/lapack; do
    [ -e "$d/libblas.so.3" ] || [ -e "$d/liblapack.so.3" ] && REF=$REF${REF:+:}$d
done

# shared libraries: everything ldd resolves except glibc's core and CUDA's
# (the GPU machine's driver and toolkit must provide those, matching each other)
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libcuda|libcudart|libcublas|libcudnn|libnvrtc|libnvJitLink)'
for b in "$PACK"/bin/*; do
    LD_LIBRARY_PATH=$REF ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
    if [[ $name =~ $skip ]]; then continue; fi
    cp -L "$path" "$PACK/lib/$name"
done
tar -C "$PACK" -cf - bin lib | xz -9 -T0 >"$OUT/bundle.tar.xz"
rm -rf "${PACK:?}"

# data: a fixed subset, so runs are comparable
cp "$DATASET/LICENSE" "$OUT/data/" 2>/dev/null || true
for split in train validation; do
    n=$PER
    [ "$split" = validation ] && n=$VAL
    for cls in "$DATASET/$split"/*/; do
        c=$(basename "$cls")
        mkdir -p "$OUT/data/$split/$c"
        find "$cls" -maxdepth 1 -type f | sort | sed -n "1,${n}p" | while read -r f; do
            cp "$f" "$OUT/data/$split/$c/"
        done
    done
done

git rev-parse HEAD >"$OUT/COMMIT"
git status --porcelain --untracked-files=no | grep -q . && echo "dirty" >>"$OUT/COMMIT"
mb=$(du -sm "$OUT" | cut -f1)
echo "gpu-bundle: $OUT: ${mb} MiB ($(find "$OUT/data" -type f | wc -l) photos, $(tar -tJf "$OUT/bundle.tar.xz" | grep -c '\.so') libraries)"
if [ "$mb" -gt "$LIMIT_MB" ]; then
    echo "gpu-bundle: over $LIMIT_MB MiB: use fewer photos (bash scripts/gpu-bundle.sh 20 6)" >&2
    exit 1
fi
