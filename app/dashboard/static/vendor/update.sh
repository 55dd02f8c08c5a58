#!/bin/sh
# Copies the built uPlot (the revenue chart) from extensions/node_modules into this folder, where it is
# committed: the admin pages load it from the app itself, never from a CDN (offline, CI, air-gapped).
# Run after changing uplot's version in extensions/package.json and `npm install` there;
# tests/dashboard/test_pages.py fails while the copy here differs from the installed one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dist="$here/../../../../extensions/node_modules/uplot/dist"
if [ ! -d "$dist" ]; then
  echo "uplot is not installed: run \`npm install\` in extensions/ first" >&2
  exit 1
fi
cp "$dist/uPlot.iife.min.js" "$dist/uPlot.min.css" "$here/"
cp "$dist/../LICENSE" "$here/uPlot.LICENSE"
version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dist/../package.json" | head -n 1)
echo "uPlot $version copied to $here"
