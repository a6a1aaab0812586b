#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a fresh, unlocked GNOME Keyring serving the
# Secret Service, so keychain tests neither need a desktop nor touch the user's own keyring.
#   tests/scripts/with-keyring.sh cargo test -p sluice-console --test credentials_secret_service -- --ignored
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || {
    echo "$0: $tool is missing: install the Debian packages dbus and gnome-keyring (make deps-test)" >&2
    exit 1
  }
done

if [ -z "${SLUICE_PRIVATE_KEYRING:-}" ]; then
  # Re-enter this script inside a new session bus; the bus ends when the command does.
  exec dbus-run-session -- env SLUICE_PRIVATE_KEYRING=1 bash "$0" "$@"
fi

# The keyring's files and sockets live in throw-away directories, removed on exit.
scratch=$(mktemp -d)
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# The daemon exits by itself when the session bus goes away (after the command).
trap 'rm -rf "$scratch"' EXIT

# --unlock creates the login keyring with this password and unlocks it; --components=secrets
# serves only org.freedesktop.secrets (no SSH or GPG agents). It prints the variables to export.
eval "$(echo -n sluice-test | gnome-keyring-daemon --unlock --components=secrets | sed 's/^/export /')"
"$@"
