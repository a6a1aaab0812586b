#!/usr/bin/env bash
# Runs the WebDriver scenarios against the built app. Each scenario starts its own tauri-driver
# (tests/e2e/harness.mjs), so each app gets its own home directory and environment. Expects an X
# display (xvfb-run) and a session bus with a Secret Service (tests/scripts/with-keyring.sh).
set -euo pipefail
app=$(realpath "$1")
pipeline=$(realpath "$2")
shift 2
SLUICE_APP="$app" SLUICE_PIPELINE="$pipeline" node --test --test-concurrency=1 --test-timeout=600000 "${@:-tests/e2e/}"
