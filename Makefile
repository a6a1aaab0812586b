# Sluice — the README's two commands are `make run` and `make test`. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := run

ROOT     := $(abspath .)
TOOLS    := $(ROOT)/.tools
# Cargo's target directory: CARGO_TARGET_DIR when set (as many Rust developers have it).
TARGET   := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)
APP      := $(TARGET)/debug/sluice
PIPELINE ?= $(ROOT)/environments/pipeline.yaml
ARGS     ?=

# Debian/Ubuntu packages: to build the Tauri app, and to test it headless (Xvfb, WebDriver, keyring).
BUILD_PKGS := libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev \
              libsoup-3.0-dev build-essential pkg-config libssl-dev libxdo-dev file
TEST_PKGS  := dbus xvfb xauth webkit2gtk-driver gnome-keyring dbus-x11 libsecret-tools imagemagick \
              x11-utils xdotool

export PATH := $(TOOLS)/bin:$(HOME)/.cargo/bin:$(PATH)
# GTK otherwise starts accessibility-bus helpers that outlive the app.
export NO_AT_BRIDGE := 1
export GTK_A11Y := none

.PHONY: run build ui deps deps-build deps-test toolchain check fmt lint bindings test test-rust \
        test-ui e2e screenshots clean bench bench-window soak keyring-test conformance-control-plane disk-space fuzz

## run: install what is missing, build, open the window
run: deps-build build
	$(APP) --pipeline $(PIPELINE) $(ARGS)

build: ui
	cargo build --workspace --bins

ui: node_modules
	npm run build

## test: every check CI runs. Cargo is always asked with --workspace: its features are then
## unified the same way in every step, so no step rebuilds dependencies another already built.
test: disk-space deps-build deps-test check test-rust test-ui e2e keyring-test conformance-control-plane

disk-space:
	@bash tests/scripts/disk-check.sh 8 $(ROOT)

check: ui $(TOOLS)/bin/cargo-machete $(TOOLS)/bin/cargo-deny
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo machete
	cargo deny check --hide-inclusion-graph licenses bans sources
	cargo test --workspace --test bindings_fresh
	npm run check
	npm run lint
	bash tests/control-plane/build.sh actionlint
	"$$(bash tests/control-plane/build.sh --path actionlint)" environments/github/deploy.yml

test-rust: ui
	cargo test --workspace

test-ui: node_modules
	npm run test:unit

## e2e: the built app under Xvfb, driven over WebDriver
e2e: build
	bash tests/scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
	  bash tests/scripts/e2e.sh "$(APP)" "$(PIPELINE)" $(E2E)

## keyring-test: the keychain against a real Secret Service (a private, unlocked GNOME Keyring)
keyring-test: deps-test
	bash tests/scripts/with-keyring.sh cargo test --workspace --test credentials_secret_service -- --ignored

## conformance-control-plane: the cluster-facing suite against a real control plane built from
## source (etcd, apiserver, controller-manager, scheduler, kwok; the seed's commands run by real
## helm) and against the simulated world, with the same assertions. Binaries are cached under
## ~/.cache/sluice; every process is stopped afterwards, also when the suite fails. `sluice status
## --json` runs as the built app when there is one (in `make test`, e2e has just built it).
conformance-control-plane:
	@bash tests/scripts/apt-install.sh openssl curl ca-certificates
	bash tests/control-plane/build.sh
	trap 'bash tests/control-plane/cluster.sh reap "$(TARGET)/control-plane"' EXIT; \
	  if [ -x "$(APP)" ]; then export SLUICE_BIN="$(APP)"; fi; \
	  time cargo test --workspace --test control_plane -- --include-ignored --nocapture

## fuzz: the fuzz targets (tests/fuzz_*.rs in each crate) with FUZZ_CASES cases each; `make
## test` runs them with a short budget. Not part of `make test`.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --workspace --test 'fuzz_*'

## bench: benchmarks (release build); each prints its figures against a reference from the same run.
## Their reference, kubectl, is built from source like the control plane.
bench: ui
	bash tests/control-plane/build.sh kubectl
	cargo bench -p sluice-sim --bench world_hour
	SLUICE_KUBECTL="$$(bash tests/control-plane/build.sh --path kubectl)" cargo bench -p sluice-console --bench live

## bench-window: the window's benchmark: a Snapshot sent by the console -> in the DOM, p50/p99,
## in the real app under Xvfb at the demo size and at 30 x 500 x 10 (the live bench's world)
bench-window: build deps-test
	bash tests/control-plane/build.sh kubectl
	bash tests/scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
	  env SLUICE_APP="$(APP)" SLUICE_PIPELINE="$(PIPELINE)" SLUICE_KUBECTL="$$(bash tests/control-plane/build.sh --path kubectl)" \
	  node tests/bench/window.mjs

## soak: whole-app figures against issue #15's goals, on the demo world in the built app: cold
## start to the first complete pipeline (3 launches), footprint (RSS and PSS of the app and its
## WebKit processes) and a soak at 60× for growth in memory, file descriptors and threads.
## The warm-up (8 min) covers the demo world filling its watch history (five minutes of changes, as
## an API server keeps); a simulated day (24 min) is judged after it. SOAK_MINUTES (32 in all) and
## SOAK_WARMUP_MINUTES shorten it. Not part of `make test`.
SOAK_MINUTES ?= 32
SOAK_WARMUP_MINUTES ?= 8
soak: build deps-test
	bash tests/scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
	  env SLUICE_APP="$(APP)" SLUICE_PIPELINE="$(PIPELINE)" SOAK_MINUTES=$(SOAK_MINUTES) SOAK_WARMUP_MINUTES=$(SOAK_WARMUP_MINUTES) \
	  node tests/bench/soak.mjs

.PHONY: package package-test

## package: the release app and its Debian package, by Tauri's bundler (tauri.conf.json's bundle),
## in $(TARGET)/release/bundle/deb/. The bundler runs beforeBuildCommand (the UI build) itself.
package: deps-build
	npm run tauri -- build --bundles deb --ci

## package-test: installs that package with dpkg, runs `sluice --version` and the e2e smoke
## scenario against /usr/bin/sluice, and removes it. Not part of `make test`: it needs the
## release build (fat LTO, one codegen unit: 45 min cold on two busy cores, and 16 min again
## whenever the UI is rebuilt, as every `tauri build` does) and root to install.
package-test: package deps-test
	bash tests/scripts/package-test.sh "$(TARGET)/release/bundle/deb" "$(PIPELINE)"

## bindings: regenerate ui/src/lib/bindings.ts from the Rust types
bindings:
	SLUICE_UPDATE_BINDINGS=1 cargo test --workspace --test bindings_fresh

## screenshots: every view, light and dark, from the real app on the demo world (docs/screenshots/)
screenshots: build deps-test
	bash tests/control-plane/build.sh helm
	bash tests/scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
	  env SLUICE_APP="$(APP)" SLUICE_PIPELINE="$(PIPELINE)" SLUICE_HELM="$$(bash tests/control-plane/build.sh --path helm)" \
	  node tests/screenshots/capture.mjs docs/screenshots

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf ui/dist node_modules

# --- installing what is missing -------------------------------------------------------------

deps: deps-build deps-test

deps-build: toolchain node_modules
	@bash tests/scripts/apt-install.sh $(BUILD_PKGS)

deps-test: $(TOOLS)/bin/tauri-driver
	@bash tests/scripts/apt-install.sh $(TEST_PKGS)

toolchain:
	@command -v cargo >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs), then re-run make." >&2; exit 1; }
	@command -v node >/dev/null && node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
	  || { echo "Node.js 20.19 or newer is missing: install it (e.g. from NodeSource or nvm), then re-run make." >&2; exit 1; }

node_modules: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch node_modules

$(TOOLS)/bin/tauri-driver:
	cargo install tauri-driver --locked --root $(TOOLS)

# Finds dependencies a crate declares and never uses.
$(TOOLS)/bin/cargo-machete:
	cargo install cargo-machete --locked --version 0.9.2 --root $(TOOLS)

# Licenses, bans and sources of the dependency graph (deny.toml). 0.20 needs Rust 1.88.
$(TOOLS)/bin/cargo-deny:
	cargo install cargo-deny --locked --version 0.20.2 --root $(TOOLS)
