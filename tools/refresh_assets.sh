#!/usr/bin/env bash
# Refresh the vendored ReDoc bundle from the npm registry at the pinned version, and record its sha256.
# (Swagger UI comes from the PyPI package swagger-ui-bundle; nothing to vendor.) Run from the repo root.
set -euo pipefail
VERSION=${1:-2.5.1}
DEST=service/api/static/redoc
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "redoc@$VERSION" --silent >/dev/null && tar xzf "redoc-$VERSION.tgz")
cp "$tmp/package/bundles/redoc.standalone.js" "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" "$DEST/"
cp "$tmp/package/LICENSE" "$DEST/LICENSE"
(cd "$DEST" && sha256sum redoc.standalone.js > ASSETS.sha256)
echo "redoc $VERSION: $(cat "$DEST/ASSETS.sha256")"
rm -rf "$tmp"
