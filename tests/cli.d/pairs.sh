# pairs.sh (sourced by tests/cli_test.sh): `ztyle pairs` and `ztyle sheet` on
# the committed synthetic mini dataset (tests/data/mini).
P=$T/pairs
expect 0 "$Z" pairs --data tests/data/mini --out "$P" --size 64 --threads 2 --json
contains "$T/out" '"written": 15'
# layout: 5 classes x 2 train, x 1 val; the default map has every class of the demo data
[ "$(ls "$P/train" | wc -l)" -eq 10 ] && ok || bad "pairs: train has $(ls "$P/train" | wc -l) files"
[ "$(ls "$P/val" | wc -l)" -eq 5 ] && ok || bad "pairs: val has $(ls "$P/val" | wc -l) files"
[ "$(ls "$P/hints/train" | wc -l)" -eq 10 ] && ok || bad "pairs: hint layers missing"
[ "$(wc -l <"$P/manifest.jsonl")" -eq 15 ] && ok || bad "pairs: manifest lines"
contains "$P/manifest.jsonl" '"category":"pants"'
contains "$P/manifest.jsonl" '"category":"shoes"'
# AB images are 2*size x size
"$Z" ssim "$P/train/pants-t0.png" "$P/train/pants-t0.png" --json >"$T/out" 2>"$T/err" && ok || bad "ssim on a pair: $(cat "$T/err")"
contains "$T/out" '"ssim_rgb": 1'
# a re-run skips everything
expect 0 "$Z" pairs --data tests/data/mini --out "$P" --size 64 --json
contains "$T/out" '"skipped": 15'
# a re-run with other settings is refused, --force accepts
expect 1 "$Z" pairs --data tests/data/mini --out "$P" --size 128
contains "$T/err" "other settings"
# a map without shoes leaves them out; --all-classes adds them
printf 'top: t-shirt\npants: pants\nskirt: skirt\nhat: hat\n' >"$T/map4.txt"
expect 0 "$Z" pairs --data tests/data/mini --out "$T/pairs-4" --size 64 --catmap "$T/map4.txt" --json
contains "$T/out" '"pairs": 12'
expect 0 "$Z" pairs --data tests/data/mini --out "$T/pairs-all" --size 64 --catmap "$T/map4.txt" --all-classes --json
contains "$T/out" '"pairs": 15'
# a half-written file from a killed run is not taken for a finished pair
rm "$P/train/hat-t1.png"
touch "$P/train/hat-t1.png.tmp.999"
expect 0 "$Z" pairs --data tests/data/mini --out "$P" --size 64 --json
contains "$T/out" '"written": 1'
# usage and input errors
expect 2 "$Z" pairs --data tests/data/mini
contains "$T/err" "--data and --out are required"
expect 2 "$Z" pairs --data tests/data/mini --out "$P" --size abc
expect 2 "$Z" pairs --data tests/data/mini --out "$P" --method sobel
expect 1 "$Z" pairs --data /nonexistent --out "$P"
contains "$T/err" "ztyle pairs: /nonexistent"
printf 'path,category\nnope.jpg,hat\n' >"$T/bad.csv"
expect 1 "$Z" pairs --data "$T/bad.csv" --out "$T/pairs-bad" --size 64
contains "$T/err" "nope.jpg"
# contact sheet
expect 0 "$Z" sheet --data tests/data/mini --out "$T/sheet.png" --n 4 --size 64
[ -s "$T/sheet.png" ] && ok || bad "sheet: no PNG written"
# --shapes: the garments drawn from memory, a row per class (10 rows of 3 at 64 px)
expect 0 "$Z" sheet --shapes --out "$T/shapes.png" --n 3 --size 64 --seed 2
contains "$T/out" "10 classes x 3 garments"
wh=$(od -An -tu1 -j16 -N8 "$T/shapes.png" | tr -s ' ')
[ "$wh" = " 0 0 0 192 0 0 2 128" ] && ok || bad "sheet --shapes: PNG is not 192 x 640: $wh"
expect 0 "$Z" sheet --shapes --out "$T/shapes2.png" --n 3 --size 64 --seed 2
cmp -s "$T/shapes.png" "$T/shapes2.png" && ok || bad "sheet --shapes: not the same for a seed"
expect 0 "$Z" sheet --shapes --out "$T/shapes3.png" --n 3 --size 64 --seed 3
cmp -s "$T/shapes.png" "$T/shapes3.png" && bad "sheet --shapes: seed 3 drew what seed 2 drew" || ok
expect 2 "$Z" sheet --shapes --data tests/data/mini --out "$T/shapes.png"
contains "$T/err" "no --data"
expect 2 "$Z" sheet --shapes --out "$T/shapes.png" --n 40
contains "$T/err" "over 32"
# --style doodle: human-like doodles on the photo's outline (issue 12), recorded in pairs.json
expect 0 "$Z" pairs --data tests/data/mini --out "$T/pd" --size 64 --style doodle --json
contains "$T/pd/pairs.json" '"style": "doodle"'
contains "$T/out" '"written": 15'
expect 2 "$Z" pairs --data tests/data/mini --out "$T/pd2" --style scribbly
contains "$T/err" "expected edges, doodle or mixed"
