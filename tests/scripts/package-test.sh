#!/usr/bin/env bash
# Installs the Debian package that `make package` built, checks it as a user would meet it, and
# removes it again:
#   tests/scripts/package-test.sh BUNDLE_DIR PIPELINE
# BUNDLE_DIR is $CARGO_TARGET_DIR/release/bundle/deb (or target/release/bundle/deb). The package for
# the workspace's version is taken from there; it must be ≤ 20 MB, hold /usr/bin/sluice, a desktop
# entry and its icons, and declare every shared library the binary needs. Once installed, `sluice`
# on PATH must print the workspace's version, and the smoke scenario (tests/e2e/smoke.test.mjs) must
# pass against /usr/bin/sluice under Xvfb. Removal must leave none of the package's files behind.
# Needs root or sudo (dpkg), an X server wrapper (xvfb-run) and a keyring (make deps-test).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUNDLE_DIR PIPELINE" >&2
  exit 2
fi
bundle_dir=$1
pipeline=$(realpath "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
max_bytes=$((20 * 1000 * 1000))

fail() {
  echo "package-test: $*" >&2
  exit 1
}

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  fail "installing a package needs root: run as root, or with sudo allowed without a password"
fi

version=$(cd "$root" && cargo metadata --no-deps --format-version 1 --offline |
  node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
           process.stdout.write(m.packages.find((p) => p.name === "sluice-app").version)')
arch=$(dpkg --print-architecture)
deb="$bundle_dir/Sluice_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no package for version $version at $deb: build it with make package"

# --- the package as built ----------------------------------------------------------------------
package=$(dpkg-deb -f "$deb" Package)
deb_version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
size=$(stat -c %s "$deb")
echo "package-test: $deb: $size bytes, $package $deb_version"
echo "package-test: Depends: $depends"
[ "$deb_version" = "$version" ] || fail "the package says version $deb_version, the workspace $version"
[ "$size" -le "$max_bytes" ] || fail "the package is $size bytes, over the $max_bytes allowed"

# The package's own files (directories left out), as paths from / (its members are named usr/...).
mapfile -t files < <(dpkg-deb --fsys-tarfile "$deb" | tar -tv | awk '$1 !~ /^d/ { print $NF }' |
  sed -E 's|^(\./)?|/|')
has() { printf '%s\n' "${files[@]}" | grep -qx -- "$1"; }
has /usr/bin/sluice || fail "no /usr/bin/sluice in the package; it holds: ${files[*]}"
desktop=$(printf '%s\n' "${files[@]}" | grep -E '^/usr/share/applications/[^/]+\.desktop$' || true)
[ "$(printf '%s' "$desktop" | grep -c .)" -eq 1 ] || fail "expected one desktop entry, found: ${desktop:-none}"
# The entry must start the installed binary and name an icon the package installs.
entry=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "*${desktop#/}")
exec_line=$(printf '%s\n' "$entry" | sed -n 's/^Exec=//p')
icon=$(printf '%s\n' "$entry" | sed -n 's/^Icon=//p')
[ "${exec_line%% *}" = sluice ] || [ "${exec_line%% *}" = /usr/bin/sluice ] ||
  fail "the desktop entry starts '$exec_line', not sluice"
icons=$(printf '%s\n' "${files[@]}" | grep -E "^/usr/share/icons/hicolor/[0-9]+x[0-9]+(@2)?/apps/$icon\.png$" || true)
if [ -z "$icon" ] || [ -z "$icons" ]; then
  fail "the desktop entry's icon '$icon' is not among the package's icons"
fi
echo "package-test: ${#files[@]} files: /usr/bin/sluice, $desktop (Exec=$exec_line), $(echo "$icons" | wc -l) icons"

# --- installed -----------------------------------------------------------------------------------
# A package of this name already on the machine, or a sluice the package would overwrite, is the
# user's: the test does not replace it, nor remove it afterwards.
if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
  fail "$package is installed already: remove it first (sudo dpkg -r $package)"
fi
for file in "${files[@]}"; do
  [ ! -e "$file" ] || fail "$file exists already and would be overwritten: move it away first"
done

installed=false
cleanup() {
  if $installed; then "${sudo[@]}" dpkg -r "$package" >/dev/null || true; fi
}
trap cleanup EXIT

if ! "${sudo[@]}" dpkg -i "$deb"; then
  # dpkg leaves a package whose dependencies are missing unconfigured; apt brings them.
  installed=true
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -f -y -qq
fi
installed=true
dpkg-query -W -f='${Status}' "$package" | grep -q "install ok installed" || fail "$package did not install"

found=$(command -v sluice) || fail "sluice is not on PATH after installing"
[ "$found" = /usr/bin/sluice ] || fail "sluice on PATH is $found, not the installed /usr/bin/sluice"
printed=$(sluice --version)
[ "$printed" = "sluice $version" ] || fail "sluice --version printed '$printed', expected 'sluice $version'"
echo "package-test: $found --version: $printed"

# Every library the binary loads directly must come from a package the Depends line names
# (by name, or by a name its package provides, as Ubuntu's t64 libraries do).
declared=$(printf '%s\n' "$depends" | tr ',|' '\n' | sed -E 's/\(.*\)//; s/^ +//; s/ +$//' | sort -u)
missing=$(ldd /usr/bin/sluice | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries not found for /usr/bin/sluice: $missing"
while read -r library; do
  path=$(ldd /usr/bin/sluice | awk -v lib="$library" '$1 == lib { print $3 }')
  [ -n "$path" ] || continue # the dynamic loader itself
  # With a merged /usr, ldd's /lib/... may be the /usr/lib/... path dpkg recorded, or the reverse.
  owner=
  for candidate in "$path" "/usr$path" "${path#/usr}"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | head -n 1) && break
  done
  [ -n "$owner" ] || fail "no package owns $path ($library)"
  owner=${owner%%:*}
  provides=$(dpkg-query -W -f='${Provides}' "$owner" | tr ',' '\n' | sed -E 's/\(.*\)//; s/:[a-z0-9]+//; s/^ +//; s/ +$//')
  ok=false
  for name in "$owner" $provides; do
    if printf '%s\n' "$declared" | grep -qx -- "$name"; then ok=true; fi
  done
  $ok || fail "/usr/bin/sluice needs $library from $owner, which the package's Depends does not name"
done < <(readelf -d /usr/bin/sluice | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "package-test: every library /usr/bin/sluice needs comes from a declared dependency"

# The smoke scenario: the shipped pipeline on the demo world, driven over WebDriver.
(cd "$root" && bash tests/scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
  bash tests/scripts/e2e.sh /usr/bin/sluice "$pipeline" tests/e2e/smoke.test.mjs)

# --- removed -------------------------------------------------------------------------------------
"${sudo[@]}" dpkg -r "$package"
installed=false
if dpkg -L "$package" >/dev/null 2>&1; then
  fail "dpkg still lists files of $package after removal: $(dpkg -L "$package" | tr '\n' ' ')"
fi
status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
[ -z "$status" ] || [[ "$status" == *not-installed ]] || fail "$package is left as '$status' after removal"
for file in "${files[@]}"; do
  [ ! -e "$file" ] || fail "$file is left behind after removal"
done
hash -r
[ "$(command -v sluice || true)" != /usr/bin/sluice ] || fail "sluice still resolves to /usr/bin/sluice after removal"
echo "package-test: installed, ran, smoke scenario passed, removed without a trace"
