#!/usr/bin/env bash
# End-to-end check of the HTML report in headless Chromium, offline, from a file URL:
# every image must load with a non-zero natural size and no console or script error may occur.
# Usage: tools/ci/check_report.sh REPORT_DIR SCREENSHOT.png
set -euo pipefail
report_dir=$(cd "$1" && pwd)
shot=$2
browser=$(command -v chromium || command -v chromium-browser)
profile=$(mktemp -d)
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-sync
  --disable-background-networking --disable-component-update --user-data-dir="$profile"
  --allow-file-access-from-files --virtual-time-budget=15000)
url="file://$report_dir/index.html"

"$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "$url" >"$profile/dom.html" 2>"$profile/log.txt" || true
verdict=$(grep -o 'data-selfcheck="[^"]*"' "$profile/dom.html" || true)
echo "report self-check: ${verdict:-missing}"
if ! grep -q 'data-selfcheck="ok [1-9]' "$profile/dom.html"; then
  echo "the report's self-check did not pass" >&2
  exit 1
fi
if grep -E 'CONSOLE.*(ERROR|Uncaught)|:ERROR:CONSOLE' "$profile/log.txt"; then
  echo "console errors while loading the report" >&2
  exit 1
fi
"$browser" "${flags[@]}" --hide-scrollbars --window-size=1280,4000 --screenshot="$shot" "$url" >/dev/null 2>&1
test -s "$shot"
echo "screenshot: $shot"
rm -rf "$profile"
