#!/usr/bin/env bash
# Copies the static files of the gateway's pages (npm graphiql, react,
# react-dom for GraphiQL on GET /graphql; swagger-ui-dist for the REST
# reference on /docs; pinned in tools/node) into $1 (the build's graphiql/
# folder), served as /graphql/assets/<name>.
# Build time only: no Node.js at run time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:?usage: graphiql-assets.sh OUT_DIR}
"$ROOT/scripts/node-tools.sh" >/dev/null
M="$ROOT/tools/node/node_modules"
mkdir -p "$OUT"
cp "$M/graphiql/graphiql.min.js" "$M/graphiql/graphiql.min.css" \
   "$M/react/umd/react.production.min.js" \
   "$M/react-dom/umd/react-dom.production.min.js" \
   "$M/swagger-ui-dist/swagger-ui-bundle.js" "$M/swagger-ui-dist/swagger-ui.css" "$OUT/"
