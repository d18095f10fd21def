#!/usr/bin/env bash
# include_order.sh: the layers of src/ point one way. Each folder may
# include only the folders listed for it below (and itself); docs/
# ARCHITECTURE.md draws the same order. One check per source file; prints
# "N passed, N failed, N skipped" last.
set -u
cd "$(dirname "$0")/.."
declare -A may=(
    [util]=""
    [core]="util"
    [img]="util"
    [nn]="util core img"
    [data]="util core img nn"
    [catalog]="util core img nn data"
    [http]="util core img nn data catalog"
    [cli]="util core img nn data catalog http"
)
pass=0
fail=0
for f in src/*/*.c src/*/*.h src/*/*.cpp src/*/*.cu; do
    [ -e "$f" ] || continue
    from=$(basename "$(dirname "$f")")
    if [ -z "${may[$from]+x}" ]; then
        echo "  FAIL include order: $f: folder src/$from/ has no place in the layer order"
        fail=$((fail + 1))
        continue
    fi
    bad=""
    # quoted includes that leave the folder: #include "../<dir>/x.h"
    for to in $(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\.\./\([^/"]*\)/.*|\1|p' "$f" | sort -u); do
        case " ${may[$from]} " in
        *" $to "*) ;;
        *) bad="$bad $to" ;;
        esac
    done
    if [ -n "$bad" ]; then
        echo "  FAIL include order: $f ($from/) includes$bad/, which $from/ may not (may: ${may[$from]:-nothing})"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
done
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
