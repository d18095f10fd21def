# Makefile: the one build entry point.
#   make            release build: build/release/ztyle
#   make asan       ASan+UBSan build: build/asan/ztyle, build/asan/zt_test
#   make test       builds both and runs every test under both, then tests/cli.sh
#   make fuzz       libFuzzer harnesses (clang): build/fuzz/*
#   make bench-*    benchmarks (see bench/)
#   make CUDA=1     release build with the CUDA backend (nvcc, cuBLAS, cuDNN);
#                   chosen by itself when nvcc and cudnn.h are found, CUDA=0
#                   forces the CPU-only build, as does CI (CI set); ASan and fuzz
#                   builds are CPU-only
#   make test-gpu   the GPU op tests (tests/test_gpu.c; SKIPPED without a GPU)
# Dependencies come from Debian packages (scripts/setup.sh) and are found
# with pkg-config; oneDNN ships no .pc file, so it is linked as -ldnnl.

MODE ?= release
CC ?= cc
CXX ?= c++
PKGS := libjpeg libpng libwebp libexif sqlite3 libmicrohttpd jansson libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wvla -Wno-format-truncation
ifeq ($(CI),true)
WARN += -Werror
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fopenmp -g $(WARN) $(PKG_CFLAGS)
# OpenCV (imgproc: GrabCut, img/grabcut_shim.cpp) ships no .pc file in Debian 12
OPENCV_INC := /usr/include/opencv4
BASE_CXXFLAGS := -std=c++17 -D_GNU_SOURCE -fopenmp -g -Wall -Wextra -Wno-unused-parameter -isystem $(OPENCV_INC)
ifeq ($(MODE),asan)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OPT := -O3 -march=x86-64-v3 -mtune=native -DNDEBUG
endif
CFLAGS ?=
CFLAGS += $(BASE_CFLAGS) $(OPT)
CXXFLAGS += $(BASE_CXXFLAGS) $(OPT)
LDLIBS := $(PKG_LIBS) -ldnnl -lfaiss -lopencv_imgproc -lopencv_core -llapack -lblas -lm -lpthread -fopenmp
EXTRA_LDLIBS ?=
CPU_LDLIBS := $(LDLIBS) # the fuzzers' (always CPU-only), before CUDA adds its own

B := build/$(MODE)
# CUDA backend (docs/internals/engine.md "GPU"): release builds only. The
# *_cuda.c files and src/*/*.cu are compiled only here; without CUDA the
# build is the CPU-only one, unchanged.
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc)))
CUDNN_INC ?= $(dir $(firstword $(wildcard $(CUDA_HOME)/include/cudnn.h /usr/include/cudnn.h /usr/include/x86_64-linux-gnu/cudnn.h)))
ifeq ($(MODE),release)
# CI stays CPU-only (the GPU tests count as skipped there) unless CUDA=1 is given
ifneq ($(CI),)
CUDA ?= 0
endif
CUDA ?= $(if $(and $(CUDA_HOME),$(CUDNN_INC)),1,0)
else
override CUDA := 0
endif
NVCC ?= $(CUDA_HOME)/bin/nvcc
# sm_80 (A100) and sm_90 (H100/H200) machine code, plus PTX for newer chips
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]
CUDNN_LIB ?=
comma := ,
LIB_C := $(filter-out src/cli/% %_cuda.c,$(wildcard src/*/*.c))
ifeq ($(CUDA),1)
LIB_C += $(wildcard src/*/*_cuda.c)
CFLAGS += -DZT_CUDA -I$(CUDA_HOME)/include $(if $(CUDNN_INC),-I$(CUDNN_INC))
LDLIBS += $(addprefix -L,$(CUDNN_LIB)) $(addprefix -Wl$(comma)-rpath$(comma),$(CUDNN_LIB)) -L$(CUDA_HOME)/lib64 \
          -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudnn -lcublas -lcudart
endif
LIB_CXX := $(wildcard src/*/*.cpp)
CLI_C := $(wildcard src/cli/*.c)
TEST_C := $(wildcard tests/*.c)
WEB := $(wildcard web/*)

LIB_OBJ := $(LIB_C:%.c=$(B)/%.o) $(LIB_CXX:%.cpp=$(B)/%.o)
ifeq ($(CUDA),1)
LIB_OBJ += $(patsubst %.cu,$(B)/%.cu.o,$(wildcard src/*/*.cu))
endif
CLI_OBJ := $(CLI_C:%.c=$(B)/%.o)
TEST_OBJ := $(TEST_C:%.c=$(B)/%.o)
# web/ and config/ are embedded into the library (src/http/assets.c serves them)
ASSET_FILES := $(sort $(shell find web config -type f 2>/dev/null))
LIB_OBJ += $(B)/gen/assets.o
LINK := $(if $(LIB_CXX),$(CXX),$(CC))

.PHONY: all asan test test-release test-asan test-gpu fuzz clean bench-engine bench-gpu contact-sheet demo bench-conv bench-serve bench-search bench-replica bench-masks bench-query bench-hostile
all: $(B)/ztyle $(B)/zt_test

# Every object depends on the build's CUDA setting: switching CUDA=0/1 in
# one build folder rebuilds everything instead of mixing the two.
CFG := $(B)/.cfg-cuda$(CUDA)
$(CFG):
	@mkdir -p $(B)
	@rm -f $(B)/.cfg-cuda*
	@touch $@

$(B)/%.o: %.c $(CFG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.cu.o: %.cu src/core/cuda_kern.h $(CFG)
	@mkdir -p $(dir $@)
	$(NVCC) -std=c++17 -O3 $(CUDA_ARCH) -Xcompiler -Wall,-Wextra,-Wno-unused-parameter \
	  $(if $(filter 1,$(WERROR) $(if $(filter true,$(CI)),1)),-Werror all-warnings) -c $< -o $@

# cuDNN 9 marks its legacy convolution API (still shipped and supported) deprecated
$(B)/src/core/kernels_cuda.o: CFLAGS += -Wno-deprecated-declarations

# Adam's loop (src/nn/optim.c) vectorises only without errno for sqrtf (never negative there)
$(B)/src/nn/optim.o: CFLAGS += -fno-math-errno

$(B)/%.o: %.cpp $(CFG)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(B)/gen/assets.c: $(ASSET_FILES) scripts/embed_assets.sh
	@mkdir -p $(dir $@)
	sh scripts/embed_assets.sh $@ $(ASSET_FILES)

$(B)/gen/assets.o: $(B)/gen/assets.c
	$(CC) $(CFLAGS) -Isrc -c $< -o $@

$(B)/libztyle.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/ztyle: $(CLI_OBJ) $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $(CLI_OBJ) $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)

$(B)/zt_test: $(TEST_OBJ) $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $(TEST_OBJ) $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)

asan:
	$(MAKE) MODE=asan all

test-release:
	$(MAKE) MODE=release all
	ZT_TEST_TMP=build/test-tmp/release build/release/zt_test $(T)

test-asan:
	$(MAKE) MODE=asan all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ZT_TEST_TMP=build/test-tmp/asan build/asan/zt_test $(T)

# GPU op tests against the reference kernels; SKIPPED (counted) without a GPU
test-gpu:
	$(MAKE) MODE=release all
	ZT_TEST_TMP=build/test-tmp/release build/release/zt_test gpu

# Runs everything; the last line printed is the combined
# "N passed, N failed, N skipped".
test:
	@bash tests/run_all.sh

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
fuzz: $(FUZZ_BIN)
# clang builds code tuned for gcc (optimize attributes, gcc-only warning
# options): its warnings are shown, never errors, even under CI's -Werror.
# No vptr checks: they need the C++ UBSan runtime, which the C link leaves out.
build/fuzz/%: tests/fuzz/%.c $(filter-out %_cuda.c,$(LIB_C)) $(LIB_CXX)
	@mkdir -p build/fuzz
	$(MAKE) MODE=fuzz CC=clang CXX=clang++ OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -Wno-unknown-warning-option -Wno-error" build/fuzz/libztyle.a
	clang $(BASE_CFLAGS) -Wno-unknown-warning-option -Wno-error -O1 -g -fsanitize=fuzzer,address,undefined $< build/fuzz/libztyle.a -o $@ $(CPU_LDLIBS) -lstdc++

# The demo data set (README: where to get it when ../shared is absent).
DATASET ?= $(or $(ZTYLE_DATASET),../shared/datasets/clothing-small)

# The demo: `ztyle serve` on the demo catalogue (built on the first start,
# with progress, from $(DATASET) into ztyle-demo/), with the shipped model
# when it is there (models/ztyle-p2p-128.safetensors; MODEL=... overrides).
# DEMO_HOST / DEMO_PORT choose the address; Ctrl-C stops it.
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8080
demo: all
	ZTYLE_DATASET="$(DATASET)" build/release/ztyle serve --host $(DEMO_HOST) --port $(DEMO_PORT) $(if $(MODEL),--model "$(MODEL)")

# photo | edges | drawing | mask for a dozen dataset images, and the same with
# doodles as the search sees them (not committed; docs/img/doodles.jpg is one)
contact-sheet: all
	build/release/ztyle sheet --data "$(DATASET)" --out build/contact-sheet.png --n 12
	build/release/ztyle sheet --data "$(DATASET)" --out build/doodle-sheet.png --n 12 --style doodle --free --split val
	@echo "wrote build/contact-sheet.png and build/doodle-sheet.png"

# bench-conv: unet_256 convolution timings (bench/bench_conv.c); ARGS="-t 1 -c" etc.
$(B)/bench_conv: $(B)/bench/bench_conv.o $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $< $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)
bench-conv: $(B)/bench_conv
	$(B)/bench_conv $(ARGS)

# bench-search: index latency 10k/100k/1M x 256 (exact f16/f32 vs FAISS flat and numpy, IVF sweep at 1M),
# plus whole queries when ARGS="-c CATALOG -q DRAWING.png" (bench/bench_search.c)
$(B)/bench_search: $(B)/bench/bench_search.o $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $< $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)
bench-search: $(B)/bench_search
	$(B)/bench_search $(ARGS)

# bench-replica: one serve replica on a synthetic store of N products (bench/bench_replica.c):
# store bytes, full index build (start), index RAM, incremental vs full reload. ARGS="-n 1000000"
$(B)/bench_replica: $(B)/bench/bench_replica.o $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $< $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)
bench-replica: $(B)/bench_replica
	$(B)/bench_replica $(ARGS)

# bench-masks: the garment mask by the border heuristic vs GrabCut on a dataset split
# (bench/bench_masks.c): usable masks per class, IoU, ms per mask, a sheet. ARGS="-s train"
$(B)/bench_masks: $(B)/bench/bench_masks.o $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $< $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)
bench-masks: $(B)/bench_masks
	$(B)/bench_masks -d "$(DATASET)" $(ARGS)

# bench-engine: Ztyle's engine vs PyTorch on pix2pix (bench/bench_engine.py); needs
# scripts/setup.sh --dev (python3-torch). The last line is a JSON object of ratios.
$(B)/bench_engine: $(B)/bench/bench_engine.o $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $< $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)
bench-engine: $(B)/bench_engine
	/usr/bin/python3 bench/bench_engine.py $(ARGS)

# bench-gpu: the cuda engine vs PyTorch on the same GPU, one run (bench/bench_gpu.c runs
# bench/torch_pix2pix_gpu.py; TORCH_PYTHON=... picks its python): generator forward and
# training step images/s, ratios, device memory. CUDA builds on a GPU machine;
# ARGS="--config unet_256 --batch 1" etc.
$(B)/bench_gpu: $(B)/bench/bench_gpu.o $(B)/libztyle.a
	$(LINK) $(CFLAGS) -o $@ $< $(B)/libztyle.a $(LDLIBS) $(EXTRA_LDLIBS)
bench-gpu: $(B)/bench_gpu
	$(B)/bench_gpu $(ARGS)

# bench-query: search on shopper-like queries (edge maps, doodles, photos of the
# validation split) against the demo catalogue, embedding and generator included:
# quality per class and p50/p95 latency per style (catalog/eval_styles.h).
# CATALOG=... another catalogue holding the dataset; STRIDE=1 every query.
CATALOG ?= ztyle-demo/catalog.db
STRIDE ?= 2
bench-query: all
	build/release/ztyle eval-search --data "$(DATASET)" --catalog "$(CATALOG)" --style all --stride $(STRIDE)

# bench-serve: wrk load test of `ztyle serve` (bench/bench_serve.sh; DURATION=30 CONNS="1 4 16")
bench-serve: all
	bash bench/bench_serve.sh

# bench-hostile: ms per request for the worst accepted inputs (bench/bench_hostile.sh)
bench-hostile: all
	bash bench/bench_hostile.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
