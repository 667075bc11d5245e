# Sourced by the bench/*.sh scripts: paths, the release build, the peers' installs.
#
#   STAPEL_BENCH_TARGET   cargo target directory (default: target/ of the checkout)
#   STAPEL_BENCH_DATA     the public sample corpus (default: ../shared/data beside the checkout;
#                         sections that use it skip it when it is absent)
#   STAPEL_BENCH_WORK     scratch directory for generated corpora and data dirs
#                         (default: /tmp/stapel-bench)
#   STAPEL_BENCH_QUICK=1  smaller counts (bench/run.sh --quick sets it)
#   STAPEL_BENCH_NO_BUILD=1  use the binaries already built in the target directory

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
TARGET=${STAPEL_BENCH_TARGET:-${CARGO_TARGET_DIR:-$ROOT/target}}
export CARGO_TARGET_DIR=$TARGET
DATA=${STAPEL_BENCH_DATA:-$ROOT/../shared/data}
WORK=${STAPEL_BENCH_WORK:-/tmp/stapel-bench}
QUICK=${STAPEL_BENCH_QUICK:-0}
BIN=$TARGET/release
EXAMPLES=$TARGET/release/examples
VENV=${STAPEL_BENCH_VENV:-$HOME/.cache/stapel/invoice2data-venv}
mkdir -p "$WORK"

# Build what the benchmarks run (release, at low priority: the measurements are not niced).
build_release() {
  [ "${STAPEL_BENCH_NO_BUILD:-0}" = 1 ] && return
  install_build_deps
  nice -n 15 cargo build --release --locked -q -p stapel-dispatcher -p stapel-worker \
    --bin dispatcher --bin worker --example ingest_load
  nice -n 15 cargo build --release --locked -q -p stapel-pipeline --example per_document \
    --example head_of_line
}

# Debian packages the peers need (bench only; the project itself does not).
need_debian() {
  local missing="" package command
  for pair in "$@"; do
    package=${pair%%:*}
    command=${pair#*:}
    command -v "$command" >/dev/null 2>&1 || missing="$missing $package"
  done
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # one package name per word
    apt_install $missing
  fi
}

# invoice2data 1.0.1 (with its bundled templates) and reportlab (the synthetic corpus), in a venv.
need_python_venv() {
  if [ ! -x "$VENV/bin/invoice2data" ] || ! "$VENV/bin/python" -c 'import reportlab' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'invoice2data==1.0.1' 'reportlab>=5,<6'
  fi
}

# A synthetic text-layer corpus with ground truth: synth_corpus DIR COUNT SEED.
synth_corpus() {
  need_python_venv
  [ -f "$1/manifest.json" ] && [ "$(ls "$1"/*.pdf 2>/dev/null | wc -l)" -eq "$2" ] ||
    "$VENV/bin/python" bench/synth/generate.py "$1" --count "$2" --seed "$3" >/dev/null
}

# The existing folders among the arguments.
existing() {
  local path
  for path in "$@"; do
    [ -e "$path" ] && echo "$path"
  done
}
