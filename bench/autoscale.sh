#!/usr/bin/env bash
# The autoscaler simulation: worker-hours against the ideal (deterministic).
. "$(dirname "$0")/lib.sh"
nice -n 15 cargo build --release --locked -q -p stapel-autoscale --example simulate
"$EXAMPLES/simulate"
