#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md in one go, then a summary of the key lines.
#   bench/run.sh [--quick] [SECTION...]
# Sections: text scan einvoice ingest scale autoscale head_of_line memory (default: all).
# --quick: smaller corpora and counts (minutes instead of most of an hour), and no
# head-of-line run (it alone takes long; run bench/head_of_line.sh).
# Logs go to $STAPEL_BENCH_WORK/logs (default /tmp/stapel-bench/logs). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
sections=()
for argument in "$@"; do
  case $argument in
    --quick) export STAPEL_BENCH_QUICK=1 ;;
    *) sections+=("$argument") ;;
  esac
done
if [ ${#sections[@]} -eq 0 ]; then
  sections=(text scan einvoice ingest scale autoscale memory)
  [ "${STAPEL_BENCH_QUICK:-0}" = 1 ] || sections+=(head_of_line)
fi
logs=${STAPEL_BENCH_WORK:-/tmp/stapel-bench}/logs
mkdir -p "$logs"
script_of() {
  case $1 in
    text) echo bench/text_vs_invoice2data.sh ;;
    scan) echo bench/scan_vs_cli.sh ;;
    einvoice) echo bench/einvoice.sh ;;
    ingest) echo bench/ingest.sh ;;
    scale) echo bench/scale_out.sh ;;
    autoscale) echo bench/autoscale.sh ;;
    head_of_line) echo bench/head_of_line.sh ;;
    memory) echo bench/memory.sh ;;
    *) echo "unknown section $1" >&2; exit 1 ;;
  esac
}
{ date -u; lscpu | grep -E '^(Model name|CPU\(s\))'; uptime; } | tee "$logs/machine.log"
for section in "${sections[@]}"; do
  echo "=== $section ($(date -u +%H:%M:%S))"
  "$(script_of "$section")" 2>&1 | tee "$logs/$section.log" || echo "$section FAILED (see $logs/$section.log)"
done

echo
echo "=== summary (details in $logs)"
pick() { [ -f "$logs/$1.log" ] && grep -E "$2" "$logs/$1.log" | sed "s/^/$1: /" || true; }
pick text '^(ours|invoice2data)|speed-up|matched a template|dispatcher process --workers|invoice2data CLI'
pick scan '^mean per page|^fields right'
pick einvoice '^best round|^failed'
pick ingest '^burst|^latency|nothing lost|MISMATCH|dispatcher memory'
pick scale '^best'
pick autoscale '^\| (filing|January)'
pick head_of_line 'idle:|loaded:'
pick memory 'peak RSS'
