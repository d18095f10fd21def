# edges_net.sh (sourced by tests/cli_test.sh): `ztyle edges` and `ztyle pairs`
# with the neural detectors, on the random-init TEED weights that
# scripts/gen_dexined_golden.py converted (tests/data/dexined/teed_random.safetensors).
W=tests/data/dexined/teed_random.safetensors
IMG=$(ls tests/data/mini/train/hat/* | head -n 1)
expect 0 "$Z" edges --method teed --weights "$W" --size 64 "$IMG" "$T/teed.png"
[ -s "$T/teed.png" ] && ok || bad "edges teed: no PNG written"
# the drawing is 64x64 and not blank paper everywhere... or maybe it is, but it is a drawing
"$Z" ssim "$T/teed.png" "$T/teed.png" --json >"$T/out" 2>"$T/err" && ok || bad "edges teed: output unreadable: $(cat "$T/err")"
# folder trees go through the same path, one image at a time
expect 0 "$Z" edges --method teed --weights "$W" --size 48 --threads 2 --json tests/data/mini/train "$T/teed-tree"
contains "$T/out" '"failed":0'
[ "$(find "$T/teed-tree" -name '*.png' | wc -l)" -ge 8 ] && ok || bad "edges teed tree: $(find "$T/teed-tree" -name '*.png' | wc -l) files"
# the network alone, timed
expect 0 "$Z" edges --method teed --weights "$W" --size 64 --bench 1 --bench-raw --json "$IMG"
contains "$T/out" '"ms_per_image"'
# no weights: a usage error that says where they come from
expect 2 "$Z" edges --method dexined "$IMG" "$T/x.png"
contains "$T/err" "needs --weights"
contains "$T/err" "tools/convert_dexined.py"
contains "$T/err" "github.com/xavysp/DexiNed"
expect 2 "$Z" edges --weights "$W" "$IMG" "$T/x.png"
contains "$T/err" "--weights is for --method dexined or teed"
# wrong or missing weights files
expect 1 "$Z" edges --method dexined --weights "$W" "$IMG" "$T/x.png"
contains "$T/err" "holds teed weights, not dexined"
expect 1 "$Z" edges --method teed --weights "$T/none.safetensors" "$IMG" "$T/x.png"
contains "$T/err" "ztyle edges: "
# training pairs with TEED drawings
expect 0 "$Z" pairs --data tests/data/mini --out "$T/pairs-teed" --size 64 --method teed --weights "$W" --threads 2 --json
contains "$T/out" '"written": 15'
contains "$T/pairs-teed/pairs.json" '"method": "teed"'
expect 2 "$Z" pairs --data tests/data/mini --out "$T/pairs-x" --method dexined
contains "$T/err" "needs --weights"
