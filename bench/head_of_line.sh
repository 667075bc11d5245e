#!/usr/bin/env bash
# Head-of-line scenario (OCR and lanes issue): a long scan and another firm's flood enqueued
# first, then 50 one-page invoices of a third firm; their p50/p95 latency against an idle run.
# Loopback only, embedded default, real worker processes. Extra arguments go to the example
# (--workers N --scan-pages N --flood N --probes N).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
install_build_deps
cargo build --release --locked -p stapel-worker
exec cargo run --release --locked -p stapel-pipeline --example head_of_line -- \
  --worker "${CARGO_TARGET_DIR:-target}/release/worker" "$@"
