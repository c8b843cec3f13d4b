# Helpers of the demo scripts (sourced): sign in with the demo password
# and call the API through the gateway, failing loudly on an unexpected
# status. The caller sets GW (the gateway's URL) and PW (the password).

say() { printf '%s\n' "$*" >&2; }

token() { # username -> access token
	curl -sS --fail-with-body -X POST "$GW/auth/token" \
		--data-urlencode grant_type=password --data-urlencode "username=$1" \
		--data-urlencode "password=$PW" | jq -r .access_token
}

# api TOKEN METHOD PATH [JSON] -> body; fails loudly on an unexpected status
api() {
	local tok=$1 method=$2 path=$3 body=${4:-} out code data=()
	[ "$method" = GET ] || data=(--data-binary "$body")
	out=$(mktemp)
	code=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$GW$path" \
		-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		"${data[@]}")
	if [ "${code:0:1}" != 2 ]; then
		say "demo: $method $path -> $code: $(cat "$out")"
		rm -f "$out"
		return 1
	fi
	cat "$out"
	rm -f "$out"
}
