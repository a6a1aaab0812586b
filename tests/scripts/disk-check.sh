#!/usr/bin/env bash
# Warns early when the disk holding the build is nearly full: a cold `make test` writes about
# 5 GiB of build output (cargo target, node_modules, the control plane's Go build cache), and
# running out half-way fails with a compiler's "No space left on device" instead of a reason.
set -euo pipefail
need_gib=${1:-8}
dir=${2:-.}
free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
free_gib=$((free_kib / 1024 / 1024))
if [ "$free_gib" -lt "$need_gib" ]; then
  echo "warning: only ${free_gib} GiB free on the disk holding $(cd "$dir" && pwd); a cold build needs about ${need_gib} GiB." >&2
  echo "         Free space (e.g. \`cargo clean\` in other checkouts) if the build fails with \"No space left on device\"." >&2
fi
