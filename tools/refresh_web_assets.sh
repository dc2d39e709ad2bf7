#!/usr/bin/env bash
# Refresh the vendored bpmn-js viewer (the instance page's diagram) from the npm registry at the pinned
# version, keep its licence, and record sha256 sums; `--check` verifies the committed files against them.
# Run from the repo root. Only the navigated viewer and its styles and font are kept (no modeler).
set -euo pipefail
VERSION=18.31.1
DEST=service/web/static/vendor/bpmn-js
if [ "${1:-}" = "--check" ]; then (cd "$DEST" && sha256sum -c --quiet ASSETS.sha256) && echo "bpmn-js $VERSION: assets match"; exit; fi
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "bpmn-js@$VERSION" --silent >/dev/null && tar xzf "bpmn-js-$VERSION.tgz")
rm -rf "$DEST" && mkdir -p "$DEST"
cp "$tmp/package/dist/bpmn-navigated-viewer.production.min.js" "$tmp/package/dist/assets/diagram-js.css" \
   "$tmp/package/dist/assets/bpmn-js.css" "$tmp/package/LICENSE" "$DEST/"
echo "$VERSION" > "$DEST/VERSION"
(cd "$DEST" && sha256sum bpmn-navigated-viewer.production.min.js diagram-js.css bpmn-js.css LICENSE > ASSETS.sha256)
rm -rf "$tmp"
echo "bpmn-js $VERSION vendored in $DEST"
