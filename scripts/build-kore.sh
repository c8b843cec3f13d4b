#!/usr/bin/env bash
# Builds an instrumented `kore` binary from the sources that Debian's kore
# package ships (/usr/share/kore: src/, include/, Makefile), with the same
# features as the packaged binary (pgsql, tasks), so that the running
# processes -- not only the unit suites -- are checked by the sanitizers:
# ASan must be in the executable itself (it must come first in the process),
# so an instrumented module cannot be loaded into Debian's binary.
#   scripts/build-kore.sh address,undefined OUT_DIR
# Writes OUT_DIR/kore; the source copy is kept in OUT_DIR/src for rebuilds.
set -euo pipefail
SAN=$1 OUT=$2
SRC=/usr/share/kore
[ -f "$SRC/Makefile" ] || { echo "build-kore: $SRC/Makefile missing (Debian package kore)" >&2; exit 1; }
features=$(cat "$SRC/features")
mk=()
case $features in *KORE_USE_PGSQL*) mk+=(PGSQL=1) ;; esac
case $features in *KORE_USE_TASKS*) mk+=(TASKS=1) ;; esac
mkdir -p "$OUT"
rm -rf "$OUT/src"
cp -r "$SRC" "$OUT/src"
# Only the server binary: kodev (the project tool) is not needed.
make -s -C "$OUT/src" -j"$(nproc)" "${mk[@]}" \
    CC="cc -fsanitize=$SAN -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g" \
    platform.h obj/version.c kore >/dev/null
cp "$OUT/src/kore" "$OUT/kore"
echo "build-kore: $OUT/kore ($("$OUT/kore" -v | head -1), -fsanitize=$SAN)"
