#!/usr/bin/env bash
# Fetch the browser libraries the web app and reports serve themselves (no CDN at run time):
# ECharts and htmx from the npm registry into src/churnguard/web/static/vendor/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/src/churnguard/web/static/vendor"
if [ -s "$dest/echarts.min.js" ] && [ -s "$dest/htmx.min.js" ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm is needed to fetch ECharts and htmx (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent echarts@5.6.0 htmx.org@2.0.4 >/dev/null)
mkdir -p "$dest"
tar -xzf "$work"/echarts-5.6.0.tgz -C "$work" package/dist/echarts.min.js
cp "$work/package/dist/echarts.min.js" "$dest/echarts.min.js"
rm -rf "$work/package"
tar -xzf "$work"/htmx.org-2.0.4.tgz -C "$work" package/dist/htmx.min.js
cp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
echo "fetched ECharts 5.6.0 and htmx 2.0.4 into $dest"
