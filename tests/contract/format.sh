#!/usr/bin/env bash
# One style, kept by a machine: every C source and header of the project is
# as the committed .clang-format lays it out (`make format` rewrites them).
set -uo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
command -v clang-format >/dev/null || { echo "FAIL: clang-format missing (scripts/deps.sh)"; exit 1; }
mapfile -t files < <(find lib services gateway tests tools bench -name '*.[ch]' \
	-not -path '*/node_modules/*' | sort)
out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1)
if [ -n "$out" ]; then
	echo "FAIL: $(grep -c 'error:' <<<"$out") places differ from .clang-format (run make format):"
	grep 'error:' <<<"$out" | cut -d: -f1 | sort | uniq -c | sort -rn | head -10
	exit 1
fi
echo "format: ${#files[@]} C files as .clang-format lays them out"
