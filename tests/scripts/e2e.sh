#!/usr/bin/env bash
# Runs the WebDriver suite against the built app: tauri-driver (with Debian's WebKitWebDriver)
# on a free port, the Node tests, then tauri-driver stopped with SIGTERM — never SIGKILL, which
# orphans WebKitWebDriver and leaves the port and our pipes open. Expects an X display (xvfb-run).
set -euo pipefail
app=$(realpath "$1")
pipeline=$(realpath "$2")
port=${TAURI_DRIVER_PORT:-4444}
native_port=$((port + 1))
log=$(mktemp -t tauri-driver.XXXXXX.log)

tauri-driver --port "$port" --native-port "$native_port" --native-driver /usr/bin/WebKitWebDriver >"$log" 2>&1 &
driver=$!
stop_driver() {
  kill -TERM "$driver" 2>/dev/null || true
  wait "$driver" 2>/dev/null || true
}
trap stop_driver EXIT

for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$driver" 2>/dev/null || { cat "$log" >&2; echo "tauri-driver exited early" >&2; exit 1; }
  sleep 0.1
done

SLUICE_APP="$app" SLUICE_ARGS="--pipeline $pipeline" SLUICE_PIPELINE="$pipeline" \
  TAURI_DRIVER_URL="http://127.0.0.1:$port" npm run --silent e2e || { echo "--- tauri-driver log" >&2; cat "$log" >&2; exit 1; }
