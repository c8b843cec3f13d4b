#!/usr/bin/env bash
# Static checks of docker-compose.yml (no Docker daemon needed, nothing runs):
#
#   1. `docker-compose config -q` (Debian package docker-compose, installed
#      with apt-get when missing and running as root), else
#      `docker compose config -q` when the docker CLI has the compose plugin.
#   2. A python3 check of the platform's rules: every service has a
#      healthcheck; only the ingress (nginx) publishes ports; every
#      depends_on waits for service_healthy; every service sets
#      stop_grace_period; no host networking; build Dockerfiles and
#      bind-mounted files exist; the gateway serves /metrics and /_routes
#      on an ops port (MP_OPS_PORT) apart from the one the ingress reaches. PyYAML when `import yaml` works, otherwise a
#      small standard-library reader of the YAML subset compose files use
#      (CHECK_COMPOSE_NO_YAML=1 forces that reader).
#   3. hadolint on the four Dockerfiles, only if hadolint is installed.
#
# Usage: scripts/check-compose.sh [compose-file]     (default: ./docker-compose.yml)
# Exit status: 0 when every check passes, 1 otherwise (one FAIL line per problem).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FILE=${1:-$ROOT/docker-compose.yml}
INGRESS=${CHECK_COMPOSE_INGRESS:-nginx}
DOCKERFILES=(services/funding/Dockerfile services/cases/Dockerfile
	services/gender/Dockerfile gateway/Dockerfile)

say() { printf 'check-compose: %s\n' "$*"; }
fail() { printf 'check-compose: FAIL: %s\n' "$*" >&2; exit 1; }

[ -f "$FILE" ] || fail "$FILE: no such file"
command -v python3 >/dev/null || fail "python3 not found (needed for the rule checks)"

# ---- 1. the compose CLI's own validation ----------------------------------
compose=()
if ! command -v docker-compose >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] &&
   command -v apt-get >/dev/null 2>&1; then
	say "installing the Debian package docker-compose"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 ||
	{ apt-get update -qq >/dev/null 2>&1 &&
	  apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1; } ||
	say "warning: apt-get could not install docker-compose"
fi
if command -v docker-compose >/dev/null 2>&1; then
	compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
fi
if [ ${#compose[@]} -eq 0 ]; then
	fail "neither docker-compose nor 'docker compose' is available to validate $FILE (install the Debian package docker-compose)"
fi
say "${compose[*]} config -q ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"
if ! out=$("${compose[@]}" -f "$FILE" config -q 2>&1); then
	printf '%s\n' "$out" >&2
	fail "${compose[*]} config rejected $FILE"
fi
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/check-compose:   /'

# ---- 2. the platform's rules ------------------------------------------------
use_yaml=0
if [ "${CHECK_COMPOSE_NO_YAML:-0}" != 1 ] && python3 -c 'import yaml' 2>/dev/null; then
	use_yaml=1
fi
say "rule checks (python3, $([ $use_yaml = 1 ] && echo PyYAML || echo 'standard library reader'))"
python3 - "$FILE" "$INGRESS" "$use_yaml" <<'PY'
import os
import re
import sys

path, ingress, use_yaml = sys.argv[1], sys.argv[2], sys.argv[3] == "1"


# ---- a reader for the YAML subset of compose files (standard library) ------
# Block mappings and sequences, flow [..] and {..}, quoted and plain scalars,
# comments, anchors (&a), aliases (*a), merge keys (<<), block scalars (| >).
class YamlError(Exception):
    pass


def strip_comment(s):
    quote = None
    for i, c in enumerate(s):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"" and (i == 0 or s[i - 1] in " \t[{,:-"):
            quote = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def find_colon(s):
    """Index of the ':' that ends a mapping key in s, or -1."""
    quote, depth = None, 0
    for i, c in enumerate(s):
        if quote:
            if c == quote:
                quote = None
            continue
        if c in "'\"" and i == 0:
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == ":" and depth == 0 and (i + 1 == len(s) or s[i + 1] in " \t"):
            return i
    return -1


def scalar(tok):
    tok = tok.strip()
    if len(tok) >= 2 and tok[0] == tok[-1] == "'":
        return tok[1:-1].replace("''", "'")
    if len(tok) >= 2 and tok[0] == tok[-1] == '"':
        return (tok[1:-1].replace('\\"', '"').replace("\\n", "\n")
                .replace("\\t", "\t").replace("\\\\", "\\"))
    low = tok.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("", "~", "null"):
        return None
    if re.fullmatch(r"[-+]?[0-9]+", tok):
        return int(tok)
    return tok


class Reader:
    def __init__(self, text):
        self.lines = []
        raw = text.splitlines()
        i = 0
        while i < len(raw):
            line = raw[i].replace("\t", "    ")
            body = strip_comment(line)
            i += 1
            if not body.strip() or body.strip() in ("---", "..."):
                continue
            ind = len(body) - len(body.lstrip(" "))
            self.lines.append([ind, body.strip(), raw, i])
        self.anchors = {}

    # flow collections --------------------------------------------------
    def flow(self, s):
        val, pos = self._flow(s, 0)
        if s[pos:].strip():
            raise YamlError("trailing text after flow collection: %r" % s)
        return val

    def _flow(self, s, pos):
        while pos < len(s) and s[pos] == " ":
            pos += 1
        if s[pos] == "[":
            out, pos = [], pos + 1
            while True:
                while s[pos] in " ,":
                    pos += 1
                if s[pos] == "]":
                    return out, pos + 1
                v, pos = self._flow(s, pos)
                out.append(v)
        if s[pos] == "{":
            out, pos = {}, pos + 1
            while True:
                while s[pos] in " ,":
                    pos += 1
                if s[pos] == "}":
                    return out, pos + 1
                k, pos = self._flow_scalar(s, pos, key=True)
                while s[pos] == " ":
                    pos += 1
                if s[pos] != ":":
                    raise YamlError("expected ':' in flow mapping: %r" % s)
                v, pos = self._flow(s, pos + 1)
                out[k] = v
        return self._flow_scalar(s, pos)

    def _flow_scalar(self, s, pos, key=False):
        while s[pos] == " ":
            pos += 1
        if s[pos] in "'\"":
            q, j = s[pos], pos + 1
            while True:
                j = s.index(q, j)
                if q == "'" and s[j + 1:j + 2] == "'":
                    j += 2
                    continue
                if q == '"' and s[j - 1] == "\\":
                    j += 1
                    continue
                break
            return scalar(s[pos:j + 1]), j + 1
        j = pos
        stops = ",]}" + (":" if key else "")
        while j < len(s) and s[j] not in stops:
            if s[j] == ":" and not key and s[j + 1:j + 2] in (" ", ""):
                break
            j += 1
        tok = s[pos:j].strip()
        if tok.startswith("*"):
            return self.alias(tok), j
        return scalar(tok), j

    # block structure ---------------------------------------------------
    def alias(self, tok):
        name = tok[1:].strip()
        if name not in self.anchors:
            raise YamlError("unknown alias *%s" % name)
        return self.anchors[name]

    def value(self, text, i, indent):
        """Value of a key or item whose inline text is `text`; next line i."""
        anchor = None
        m = re.match(r"&(\S+)\s*(.*)$", text)
        if m:
            anchor, text = m.group(1), m.group(2)
        if text.startswith("*"):
            v = self.alias(text)
        elif text in ("|", ">", "|-", ">-", "|+", ">+"):
            parts = []
            while i < len(self.lines) and self.lines[i][0] > indent:
                parts.append(self.lines[i][1])
                i += 1
            v = ("\n" if text[0] == "|" else " ").join(parts)
        elif text and text[0] in "[{":
            # a flow collection may continue on the next lines
            while (text.count("[") + text.count("{") >
                   text.count("]") + text.count("}")) and i < len(self.lines):
                text += " " + self.lines[i][1]
                i += 1
            v = self.flow(text)
        elif text:
            v = scalar(text)
        elif i < len(self.lines) and (self.lines[i][0] > indent or (
                self.lines[i][0] == indent and self.lines[i][1][:2] in ("- ", "-"))):
            v, i = self.block(i, self.lines[i][0])
        else:
            v = None
        if anchor:
            self.anchors[anchor] = v
        return v, i

    def block(self, i, indent):
        if self.lines[i][1] == "-" or self.lines[i][1].startswith("- "):
            return self.sequence(i, indent)
        return self.mapping(i, indent)

    def sequence(self, i, indent):
        out = []
        while i < len(self.lines) and self.lines[i][0] == indent and (
                self.lines[i][1] == "-" or self.lines[i][1].startswith("- ")):
            rest = self.lines[i][1][1:]
            inner = rest.lstrip(" ")
            if inner and find_colon(inner) > 0 and inner[0] not in "[{'\"":
                # "- key: value": a mapping that starts on the item's line
                self.lines[i][0] = indent + 1 + (len(rest) - len(inner))
                self.lines[i][1] = inner
                v, i = self.mapping(i, self.lines[i][0])
            else:
                v, i = self.value(inner, i + 1, indent)
            out.append(v)
        return out, i

    def mapping(self, i, indent):
        out, merges = {}, []
        while i < len(self.lines) and self.lines[i][0] == indent:
            text = self.lines[i][1]
            if text.startswith("- "):
                break
            c = find_colon(text)
            if c <= 0:
                raise YamlError("line %d: expected 'key: value': %r"
                                % (self.lines[i][3], text))
            key = scalar(text[:c])
            v, i = self.value(text[c + 1:].strip(), i + 1, indent)
            if key == "<<":
                merges.extend(v if isinstance(v, list) else [v])
            else:
                out[key] = v
        for m in merges:  # explicit keys win over merged ones
            if not isinstance(m, dict):
                raise YamlError("merge key '<<' needs a mapping")
            for k, v in m.items():
                out.setdefault(k, v)
        if i < len(self.lines) and self.lines[i][0] > indent:
            raise YamlError("line %d: unexpected indentation" % self.lines[i][3])
        return out, i

    def load(self):
        if not self.lines:
            return None
        v, i = self.block(0, self.lines[0][0])
        if i != len(self.lines):
            raise YamlError("line %d: unexpected text" % self.lines[i][3])
        return v


def load(p):
    with open(p, encoding="utf-8") as f:
        text = f.read()
    if use_yaml:
        import yaml
        return yaml.safe_load(text)
    return Reader(text).load()


# ---- the rules -------------------------------------------------------------
try:
    doc = load(path)
except Exception as e:  # noqa: BLE001 - report any parse error as one line
    print("check-compose: FAIL: cannot read %s: %s" % (path, e), file=sys.stderr)
    sys.exit(1)

problems, notes = [], []
base = os.path.dirname(os.path.abspath(path))
services = (doc or {}).get("services") if isinstance(doc, dict) else None
if not isinstance(services, dict) or not services:
    problems.append("no services defined")
    services = {}


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


for name, svc in sorted(services.items()):
    if not isinstance(svc, dict):
        problems.append("service %s: not a mapping" % name)
        continue
    hc = svc.get("healthcheck")
    test = hc.get("test") if isinstance(hc, dict) else None
    if not isinstance(hc, dict):
        problems.append("service %s: no healthcheck" % name)
    elif hc.get("disable") is True or not test or as_list(test)[0] == "NONE":
        problems.append("service %s: healthcheck is disabled or has no test" % name)

    ports = svc.get("ports")
    if name == ingress:
        if not ports:
            problems.append("service %s: the ingress publishes no port" % name)
    elif ports:
        problems.append("service %s: publishes ports %s (only %s may)"
                        % (name, ports, ingress))
    if str(svc.get("network_mode", "")).startswith("host"):
        problems.append("service %s: network_mode host bypasses the ingress" % name)

    if not svc.get("stop_grace_period"):
        problems.append("service %s: no stop_grace_period" % name)

    deps = svc.get("depends_on")
    if isinstance(deps, list):
        problems.append("service %s: depends_on without condition "
                        "(use condition: service_healthy)" % name)
    elif isinstance(deps, dict):
        for dep, spec in deps.items():
            cond = spec.get("condition") if isinstance(spec, dict) else None
            if dep not in services:
                problems.append("service %s: depends on unknown service %s"
                                % (name, dep))
            elif cond != "service_healthy":
                problems.append("service %s: depends_on %s is %r, not "
                                "service_healthy" % (name, dep, cond))

    build = svc.get("build")
    if isinstance(build, (dict, str)):
        ctx = build if isinstance(build, str) else build.get("context", ".")
        df = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        dpath = os.path.join(base, ctx, df)
        if not os.path.isfile(dpath):
            problems.append("service %s: Dockerfile %s not found" % (name, df))

    for vol in as_list(svc.get("volumes")):
        src = vol.get("source") if isinstance(vol, dict) else str(vol).split(":")[0]
        if not src or not src.startswith((".", "/")):
            continue  # named volume
        full = os.path.normpath(os.path.join(base, src))
        if os.path.exists(full):
            continue
        rel = os.path.relpath(full, base)
        if rel == "var" or rel.startswith("var" + os.sep):
            notes.append("service %s: %s does not exist yet (runtime data; "
                         "e.g. scripts/gen-test-keys.sh var/keys)" % (name, src))
        else:
            problems.append("service %s: bind mount source %s not found"
                            % (name, src))

if ingress not in services:
    problems.append("no ingress service named %s" % ingress)

gw_env = services.get("gateway", {}).get("environment") if isinstance(
    services.get("gateway"), dict) else None
if isinstance(gw_env, list):
    gw_env = dict(str(e).split("=", 1) for e in gw_env if "=" in str(e))
if isinstance(gw_env, dict):
    ops, http = str(gw_env.get("MP_OPS_PORT", "")), str(gw_env.get("MP_HTTP_PORT", ""))
    if not ops.isdigit() or int(ops) == 0:
        problems.append("service gateway: no MP_OPS_PORT (its /metrics and "
                        "/_routes are served on the ops port only)")
    elif ops == http:
        problems.append("service gateway: MP_OPS_PORT equals MP_HTTP_PORT")

# The gateway learns each service's routes from the service itself, so the
# one thing to keep in step is MP_UPSTREAMS: every service built from
# services/<name>/ is an upstream <name> at http://<name>:<its port>, and
# every upstream is such a service.
gw = services.get("gateway")
if isinstance(gw, dict):
    env = gw.get("environment") or {}
    spec = str(env.get("MP_UPSTREAMS", "")) if isinstance(env, dict) else ""
    named, last = {}, None
    for item in [i.strip() for i in spec.split(",") if i.strip()]:
        if "=" in item and not item.lower().startswith("http"):
            last, url = item.split("=", 1)
            named[last] = [url] if url else []
        elif last is not None:
            named[last].append(item)
    for name, svc in sorted(services.items()):
        df = str((svc.get("build") or {}).get("dockerfile", "")) \
            if isinstance(svc, dict) and isinstance(svc.get("build"), dict) else ""
        if not df.startswith("services/"):
            continue
        port = str((svc.get("environment") or {}).get("MP_HTTP_PORT", ""))
        want = "http://%s:%s" % (name, port)
        if name not in named:
            problems.append("gateway: MP_UPSTREAMS does not name %s" % name)
        elif want not in named[name]:
            problems.append("gateway: MP_UPSTREAMS %s=%s, expected %s"
                            % (name, ",".join(named[name]), want))
    for name in named:
        if name not in services:
            problems.append("gateway: MP_UPSTREAMS names %s, no such service"
                            % name)

for n in sorted(set(notes)):
    print("check-compose:   note: " + n)
for p in problems:
    print("check-compose: FAIL: " + p, file=sys.stderr)
if problems:
    sys.exit(1)
print("check-compose:   %d services: all have healthchecks; only %s publishes "
      "ports" % (len(services), ingress))
PY

# ---- 3. hadolint, when it is installed (never installed from here) ----------
if command -v hadolint >/dev/null 2>&1; then
	say "hadolint $(hadolint --version 2>/dev/null | head -1)"
	(cd "$ROOT" && hadolint --failure-threshold warning "${DOCKERFILES[@]}") ||
		fail "hadolint reported problems in the Dockerfiles"
else
	say "hadolint not installed: Dockerfile lint skipped"
fi

say "OK: $FILE"
