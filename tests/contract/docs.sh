#!/usr/bin/env bash
# The project's own documentation stays true to the code:
#   - every environment variable a process reads (its configuration tables
#     and getenv calls in the C sources) is documented in docs/operations.md,
#     and every variable documented there is read by some process;
#   - every relative link of README.md and docs/*.md points to a file of
#     the repository; nothing points outside it (../shared).
set -uo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
fail=0
code=$(grep -rhoE '\{"MP_[A-Z0-9_]+", MP_CFG|getenv\("MP_[A-Z0-9_]+"\)' lib gateway services tools \
	--include='*.c' | grep -oE '"MP_[A-Z0-9_]+"' | tr -d '"' | sort -u)
# test-only fault points are not configuration
code=$(grep -vE '^MP_FAULT_' <<<"$code")
doc=$(grep -oE '`MP_[A-Z0-9_]+' docs/operations.md | tr -d '`' | sort -u)
for v in $code; do
	grep -qx "$v" <<<"$doc" || { echo "FAIL: $v is read by the code but not in docs/operations.md"; fail=1; }
done
for v in $doc; do
	case $v in MP_UPSTREAM_*_TIMEOUT_MS | MP_*_) continue ;; esac
	grep -qx "$v" <<<"$code" || grep -rqF "\"$v" lib gateway services --include='*.c' ||
		grep -qF "$v" scripts/*.sh ||
		{ echo "FAIL: docs/operations.md documents $v, which nothing reads"; fail=1; }
done
for f in README.md docs/*.md; do
	while read -r link; do
		target=${link%%#*}
		[ -z "$target" ] && continue
		case $target in http*|mailto:*) continue ;; esac
		case $target in *../shared*) echo "FAIL: $f points outside the repository: $link"; fail=1; continue ;; esac
		[ -e "$(dirname "$f")/$target" ] || { echo "FAIL: $f links to $link, which does not exist"; fail=1; }
	done < <(grep -oE '\]\([^)]+\)' "$f" | sed -E 's/^\]\((.*)\)$/\1/')
	grep -q '\.\./shared' "$f" && { echo "FAIL: $f mentions ../shared"; fail=1; }
done
[ $fail -eq 0 ] && echo "docs: $(wc -l <<<"$code") variables documented, links of README.md and docs/ resolve"
exit $fail
