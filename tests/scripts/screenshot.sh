#!/usr/bin/env bash
# Opens the real app on the current X display (xvfb-run), waits until its window shows the
# pipeline, and saves a screenshot of the screen.
set -euo pipefail
app=$(realpath "$1")
pipeline=$(realpath "$2")
out=$3
mkdir -p "$(dirname "$out")"
"$app" --pipeline "$pipeline" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  xdotool search --name '^Sluice$' >/dev/null 2>&1 && break
  sleep 0.2
done

# The window maps before the webview has painted the pipeline.
sleep "${SCREENSHOT_SETTLE:-4}"
import -window root "$out"
echo "wrote $out"
