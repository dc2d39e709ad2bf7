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
# the bundle's one outside address (the Redocly logo under the menu) is served from here: the intranet is offline
sed -i 's#https://cdn.redoc.ly/redoc/logo-mini.svg#/assets/redoc/logo-mini.svg#' "$DEST/redoc.standalone.js"
if grep -q 'https://cdn\.' "$DEST/redoc.standalone.js"; then echo "redoc still names a CDN address" >&2; exit 1; fi
(cd "$DEST" && sha256sum redoc.standalone.js > ASSETS.sha256)
echo "redoc $VERSION: $(cat "$DEST/ASSETS.sha256")"
rm -rf "$tmp"
