# train.sh (sourced by tests/cli_test.sh): `ztyle train` and `ztyle generate`
# on the synthetic mini dataset with a tiny model: checkpoints, exact resume,
# SIGTERM, generator files and their errors.
TR="--data tests/data/mini --batch 2 --ngf 8 --ndf 8 --epochs 2 --epochs-decay 1 --save-every 1 --log-every 1 --threads 2"
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runA"
[ -f "$T/runA/ckpt/gen_epoch_003.safetensors" ] && ok || bad "train: no generator file for epoch 3"
[ "$(grep -c . "$T/runA/log.csv")" -eq 16 ] && ok || bad "train: log.csv has $(grep -c . "$T/runA/log.csv") lines, want 16"
# the same run in two pieces: stop after 5 steps, resume; losses must match step for step
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runB" --max-steps 5
contains "$T/err" "continue with --resume"
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runB" --resume
cut -d, -f1-8 "$T/runA/log.csv" >"$T/a.csv"
cut -d, -f1-8 "$T/runB/log.csv" >"$T/b.csv"
cmp -s "$T/a.csv" "$T/b.csv" && ok || bad "train: resumed losses differ: $(diff "$T/a.csv" "$T/b.csv" | head -4)"
# a second start in the same folder without --resume is refused; other settings too
# shellcheck disable=SC2086
expect 1 "$Z" train $TR --out "$T/runA"
contains "$T/err" "use --resume"
# shellcheck disable=SC2086
expect 1 "$Z" train $TR --out "$T/runA" --resume --lr 0.001
contains "$T/err" "other settings"
# the schedule may change on resume (run.json follows), the model may not; a
# schedule shorter than the progress made is refused
cp -r "$T/runB" "$T/runS"
# shellcheck disable=SC2086
expect 1 "$Z" train ${TR/--epochs 2/--epochs 1} --epochs-decay 1 --out "$T/runS" --resume
contains "$T/err" "already past epoch 2"
# shellcheck disable=SC2086
expect 0 "$Z" train ${TR/--epochs-decay 1/--epochs-decay 2} --out "$T/runS" --resume
contains "$T/err" "schedule changed from 2+1 to 2+2"
[ -f "$T/runS/ckpt/gen_epoch_004.safetensors" ] && ok || bad "train: the longer schedule made no epoch 4"
grep -q '"epochs_decay": 2' "$T/runS/run.json" && ok || bad "train: run.json keeps the old schedule"
# shellcheck disable=SC2086
expect 1 "$Z" train ${TR/--ngf 8/--ngf 16} --out "$T/runS" --resume
contains "$T/err" "only --data, --epochs and --epochs-decay"
# the data may move (a copy elsewhere), but not change: run.json keeps the photos' fingerprint
grep -q '"train_set"' "$T/runS/run.json" && ok || bad "train: run.json has no train_set"
cp -r tests/data/mini "$T/mini-copy"
# shellcheck disable=SC2086
expect 0 "$Z" train ${TR/tests\/data\/mini/$T/mini-copy} --epochs-decay 3 --out "$T/runS" --resume
contains "$T/err" "data now read from"
grep -q '"train_set"' "$T/runS/run.json" && ok || bad "train: a rewritten run.json lost train_set"
rm "$(find "$T/mini-copy/train" -name '*.png' | sort | head -1)"
# shellcheck disable=SC2086
expect 1 "$Z" train ${TR/tests\/data\/mini/$T/mini-copy} --epochs-decay 4 --out "$T/runS" --resume
contains "$T/err" "other training photos than this run was trained on (9 now, 10 then)"
grep -q '"epochs_decay": 3' "$T/runS/run.json" && ok || bad "train: a refused resume rewrote run.json"
# SIGTERM mid-run: checkpoint written, exit 130, resumable
# shellcheck disable=SC2086
"$Z" train $TR --epochs 100000 --out "$T/runC" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1 300); do
    [ "$(grep -c . "$T/runC/log.csv" 2>/dev/null || echo 0)" -ge 3 ] && break
    sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok || bad "train: SIGTERM exit code $rc, want 130"
contains "$T/err" "interrupted"
[ -f "$T/runC/ckpt/latest.safetensors" ] && ok || bad "train: no checkpoint after SIGTERM"
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --epochs 100000 --out "$T/runC" --resume --max-steps 2
# usage errors
expect 2 "$Z" train --data tests/data/mini
expect 2 "$Z" train --data tests/data/mini --out "$T/x" --size 100
expect 2 "$Z" train --data tests/data/mini --out "$T/x" --category socks
contains "$T/err" "top, pants, skirt, hat, dress, shoes"
expect 1 "$Z" train --data /nonexistent --out "$T/x"
# --device: cpu or cuda; where cuda cannot run, it says why (a build without
# CUDA: usage error; a CUDA build without a GPU: "no GPU"); with a GPU it
# trains and resumes the CPU run (same checkpoint format)
expect 2 "$Z" train --data tests/data/mini --out "$T/x" --device tpu
contains "$T/err" "is not cpu or cuda"
cp -r "$T/runB" "$T/runD"
# shellcheck disable=SC2086
"$Z" train $TR --epochs 3 --out "$T/runD" --resume --device cuda --max-steps 2 >"$T/out" 2>"$T/err"
rc=$?
nocuda=0
if [ $rc -eq 2 ] && grep -q "built without CUDA" "$T/err"; then ok; nocuda=1
elif [ $rc -eq 1 ] && grep -q "no GPU" "$T/err"; then ok
elif [ $rc -eq 0 ]; then ok
else bad "train --device cuda: exit $rc: $(head -c 300 "$T/err")"; fi
# serve parses --device before any work (a CUDA build would start serving: not run here)
expect 2 "$Z" serve --device tpu
contains "$T/err" "is not cpu or cuda"
if [ $nocuda -eq 1 ]; then
    expect 2 "$Z" serve --device cuda
    contains "$T/err" "built without CUDA"
fi

# generate with the trained generator
G="$T/runA/ckpt/gen_epoch_003.safetensors"
expect 0 "$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png --category pants "$T/gen.png"
expect 2 "$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png --device gpu "$T/gen.png"
"$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png --device cuda "$T/gen-cuda.png" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "built without CUDA" "$T/err"; then ok
elif [ $rc -eq 1 ] && grep -q "no GPU" "$T/err"; then ok
elif [ $rc -eq 0 ] && [ -s "$T/gen-cuda.png" ]; then ok
else bad "generate --device cuda: exit $rc: $(head -c 300 "$T/err")"; fi
"$Z" ssim "$T/gen.png" "$T/gen.png" >/dev/null 2>&1 && ok || bad "generate: output is not a readable image"
# no category: a conditioned model gets its first plane (top), never an empty one
expect 0 "$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png "$T/gen-auto.png"
expect 0 "$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png --category top "$T/gen-top.png"
"$Z" ssim --json "$T/gen-auto.png" "$T/gen-top.png" >"$T/out" 2>&1
contains "$T/out" '"psnr": null'
"$Z" ssim --json "$T/gen-auto.png" "$T/gen.png" >"$T/out" 2>&1
grep -q '"psnr": null' "$T/out" && bad "generate: the pants plane made what no plane did" || ok
# a class picks its own plane where the model has one (shoes), else its category's (outwear: top)
expect 0 "$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png --category outwear "$T/gen-outwear.png"
"$Z" ssim --json "$T/gen-outwear.png" "$T/gen-top.png" >"$T/out" 2>&1
contains "$T/out" '"psnr": null'
expect 0 "$Z" generate --model "$G" --sketch tests/data/mini/train/pants/pants-t0.png --category shoes "$T/gen-shoes.png"
"$Z" ssim --json "$T/gen-shoes.png" "$T/gen-top.png" >"$T/out" 2>&1
grep -q '"psnr": null' "$T/out" && bad "generate: the shoes plane made what the top plane did" || ok
mkdir -p "$T/drawings"
cp tests/data/mini/train/hat/hat-t0.png "$T/drawings/a.png"
cp tests/data/mini/train/skirt/skirt-t0.png "$T/drawings/b.png"
expect 0 "$Z" generate --model "$G" --sketch "$T/drawings" "$T/gen-out"
contains "$T/out" "2 drawings, 0 failed"
expect 0 "$Z" generate --model "$G" --official --sketch "$T/drawings/a.png" "$T/gen-off.png"
expect 1 "$Z" generate --model "$T/nope.safetensors" --sketch "$T/drawings/a.png" "$T/g.png"
contains "$T/err" "no such model file"
expect 1 "$Z" generate --model "$T/runA/ckpt/latest.safetensors" --sketch "$T/drawings/a.png" "$T/g.png"
contains "$T/err" "not a Ztyle generator"
head -c 3000 "$G" >"$T/trunc.safetensors"
expect 1 "$Z" generate --model "$T/trunc.safetensors" --sketch "$T/drawings/a.png" "$T/g.png"
expect 2 "$Z" generate --model "$G" --category socks --sketch "$T/drawings/a.png" "$T/g.png"
contains "$T/err" "not a category of this model"
expect 1 "$Z" generate --model "$G" --sketch "$T/drawings/a.png" --hints tests/data/mini/train/hat/hat-t0.png "$T/g.png"
contains "$T/err" "must be RGBA"
expect 2 "$Z" generate --model "$G" "$T/g.png"

# eval over the run's checkpoints, on the mini validation split
expect 0 "$Z" eval --run "$T/runA" --data tests/data/mini --json --report "$T/rep/report.html"
contains "$T/out" '"best"'
contains "$T/out" '"ssim_gray_by_true_category"'
[ "$(grep -o '"epoch":' "$T/out" | wc -l)" -ge 4 ] && ok || bad "eval: expected 3 checkpoints + best"
[ -s "$T/rep/report.html" ] && [ -s "$T/rep/report.html_files/samples.png" ] && ok || bad "eval: no report"
contains "$T/rep/report.html" "<svg"
expect 0 "$Z" eval --model "$G" --data tests/data/mini
contains "$T/out" "cross-category matrix"
# several epochs of one conditioned run: still true x conditioning category
expect 0 "$Z" eval --model "$T/runA/ckpt/gen_epoch_001.safetensors" --model "$G" --data tests/data/mini
contains "$T/out" "columns: conditioning"
# per-category models: true category x model
for c in hat pants; do
    expect 0 "$Z" train --data tests/data/mini --batch 2 --ngf 8 --ndf 8 --epochs 1 --epochs-decay 0 \
        --category $c --threads 2 --out "$T/run-$c"
done
expect 0 "$Z" eval --model "$T/run-hat/ckpt/gen_epoch_001.safetensors" \
    --model "$T/run-pants/ckpt/gen_epoch_001.safetensors" --data tests/data/mini
contains "$T/out" "columns: model"
grep -q "^ *hat *pants *$" "$T/out" && ok || bad "eval: by-model columns are not the models' categories: $(grep -A1 columns "$T/out")"
# the mini data has no dress: its row says so instead of printing nan
grep -q "^ *dress *- *- *$" "$T/out" && ok || bad "eval: a category without photos: $(grep dress "$T/out")"
grep -qi "nan" "$T/out" && bad "eval: nan in the report" || ok
# --init across plane counts: a per-category model (no planes) starts a
# conditioned run, a conditioned one a per-category run (nn/pix2pix.h widen)
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runW" --init "$T/run-hat/ckpt/gen_epoch_001.safetensors" --max-steps 1
expect 0 "$Z" train --data tests/data/mini --batch 2 --ngf 8 --ndf 8 --epochs 1 --epochs-decay 0 \
    --category hat --threads 2 --out "$T/runX" --init "$G" --max-steps 1
expect 2 "$Z" eval --data tests/data/mini
expect 2 "$Z" eval --run "$T/runA" --model "$G"
expect 1 "$Z" eval --run "$T/nope" --data tests/data/mini
contains "$T/err" "no checkpoint folder"
expect 1 "$Z" eval --model "$T/runA/ckpt/latest.safetensors" --data tests/data/mini
contains "$T/err" "not a Ztyle generator"

# --init: a new run warm-started from a generator file; a mismatched one is refused
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runI" --init "$G" --max-steps 1
# shellcheck disable=SC2086
expect 1 "$Z" train $TR --ngf 4 --out "$T/runJ" --init "$G" --max-steps 1
contains "$T/err" "shape mismatch"
# shellcheck disable=SC2086
expect 2 "$Z" train $TR --out "$T/runA" --init "$G" --resume

# issue 13: the default run is resize-conv on the shopper mix with white targets
# (run.json says so); the legacy form leaves those keys out, so old runs still resume
contains "$T/runA/run.json" '"upsample": "resize"'
contains "$T/runA/run.json" '"inputs": "shopper"'
contains "$T/runA/run.json" '"background": "white"'
contains "$T/runA/run.json" '"mask": "grabcut"'
# the six-category map (every class of the demo data), recorded; a run.json
# without the record is a run of the four-category map (v1) and resumes as one:
# this run was not, so it is refused as another run
contains "$T/runA/run.json" '"catmap": 2'
contains "$T/runA/run.json" '"shoes"'
sed '/"catmap"/d' "$T/runA/run.json" >"$T/run-v1.json"
mkdir -p "$T/runV/ckpt" && cp "$T/run-v1.json" "$T/runV/run.json" && cp "$T/runA/ckpt/latest.safetensors" "$T/runV/ckpt/"
# shellcheck disable=SC2086
expect 1 "$Z" train $TR --epochs 4 --out "$T/runV" --resume --max-steps 1
contains "$T/err" "other settings"
grep -q '"lambda_chroma"' "$T/runA/run.json" && bad "train: run.json names a chroma term that is off" || ok
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runL" --upsample deconv --inputs classic --background photo --mask border --epochs 1 --epochs-decay 0
grep -q '"upsample"\|"inputs"\|"background"\|"mask"' "$T/runL/run.json" && bad "train: a legacy run.json names the new settings" || ok
# the chroma term: recorded in run.json, and a resume must keep it
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runK" --chroma 50 --max-steps 2
contains "$T/runK/run.json" '"lambda_chroma": 50'
# shellcheck disable=SC2086
expect 1 "$Z" train $TR --out "$T/runK" --resume --max-steps 1
contains "$T/err" "other settings"
expect 2 "$Z" train $TR --out "$T/x" --chroma -1
expect 2 "$Z" train $TR --out "$T/x" --mask heuristic
contains "$T/err" "not grabcut or border"
# a deconv generator warm-starts a resize run (projected), and the result generates
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --out "$T/runR" --init "$T/runL/ckpt/gen_epoch_001.safetensors" --epochs 1 --epochs-decay 0
expect 0 "$Z" generate --model "$T/runR/ckpt/gen_epoch_001.safetensors" --sketch "$T/drawings/a.png" "$T/gen-r.png"
"$Z" ssim "$T/gen-r.png" "$T/gen-r.png" >/dev/null 2>&1 && ok || bad "generate: a resize model wrote no readable image"
# shellcheck disable=SC2086
expect 1 "$Z" train $TR --out "$T/runL" --resume --upsample resize
contains "$T/err" "other settings"
expect 2 "$Z" train $TR --out "$T/x" --upsample bilinear
contains "$T/err" "not resize or deconv"
expect 2 "$Z" train $TR --out "$T/x" --inputs doodles
expect 2 "$Z" train $TR --out "$T/x" --background grey
# eval on shoppers' inputs: doodles on white, colour columns in text and JSON
expect 0 "$Z" eval --model "$G" --data tests/data/mini --style doodle --background white
contains "$T/out" "gdE+h"
contains "$T/out" "score"
expect 0 "$Z" eval --model "$G" --data tests/data/mini --json
contains "$T/out" '"garment_delta_e"'
grep -q "garment &Delta;E" "$T/rep/report.html" && ok || bad "eval: the report has no garment dE column"
expect 2 "$Z" eval --model "$G" --data tests/data/mini --style sketchy
expect 2 "$Z" eval --model "$G" --data tests/data/mini --background grey

# training from `ztyle pairs` output (fixed hints, the pairs' edge method)
expect 0 "$Z" pairs --data tests/data/mini --out "$T/pairs128" --size 128 --method canny
# shellcheck disable=SC2086
expect 0 "$Z" train $TR --data "$T/pairs128" --out "$T/runP" --epochs 1 --epochs-decay 0
contains "$T/err" "fixed hints of the pairs"
[ -f "$T/runP/ckpt/gen_epoch_001.safetensors" ] && ok || bad "train from pairs: no generator file"
contains "$T/runP/run.json" '"edge_method": "canny"'
# train-embed (issue 12): one epoch on the mini set writes a model the search can load
expect 0 "$Z" train-embed --data tests/data/mini --out "$T/emb.safetensors" --epochs 2 --batch 4 --neg 1 --threads 2
[ -s "$T/emb.safetensors" ] && ok || bad "train-embed: no model written"
# the best epoch is kept, the last beside it
[ -s "$T/emb.safetensors.last" ] && ok || bad "train-embed: no OUT.last written"
grep -q "kept epoch [12] " "$T/out" "$T/err" && ok || bad "train-embed: does not say which epoch it kept"
contains "$T/err" "calibrated category temperatures"
expect 0 "$Z" ingest tests/data/mini --catalog "$T/emb.db" --embed "$T/emb.safetensors" --quiet
expect 0 "$Z" search --image tests/data/mini/train/hat/hat-t0.png --catalog "$T/emb.db" --embed "$T/emb.safetensors" -k 2 --json
contains "$T/out" '"understood":{'
expect 2 "$Z" train-embed --epochs 0
expect 2 "$Z" train-embed --style sketchy
expect 2 "$Z" train-embed --frame 0.05
contains "$T/err" "not 0 or in 0.1..1"
expect 2 "$Z" train-embed --balance 1.5
contains "$T/err" "--balance"
# --freeze-photo: the drawing tower learns, the catalogue stays valid (no re-ingest)
expect 2 "$Z" train-embed --drawing-width 2
contains "$T/err" "--drawing-width"
expect 2 "$Z" train-embed --freeze-photo --epochs 1
contains "$T/err" "--freeze-photo needs --init"
expect 2 "$Z" train-embed --shapes -1
contains "$T/err" "--shapes"
expect 2 "$Z" train-embed --shapes 300 --batch 48
contains "$T/err" "at most 4 x --batch"
# with garments drawn from memory (--shapes) beside the photos' drawings, scored apart
expect 0 "$Z" train-embed --data tests/data/mini --init "$T/emb.safetensors" --freeze-photo --drawing-width 40 --shapes 3 --out "$T/embf.safetensors" --epochs 1 --batch 4 --neg 1 --threads 2
grep -Eq "shapes cat [01]\.[0-9]{3}" "$T/err" && ok || bad "train-embed --shapes: no shape accuracy in the epoch line"
contains "$T/err" "catalogues embedded with"
contains "$T/err" "drawing tower widened from 32 to 40"
cmp -s "$T/emb.safetensors" "$T/embf.safetensors" && bad "train-embed --freeze-photo: the model did not change" || ok
expect 0 "$Z" search --image tests/data/mini/train/hat/hat-t0.png --catalog "$T/emb.db" --embed "$T/embf.safetensors" -k 2 --json
contains "$T/out" '"understood":{'
