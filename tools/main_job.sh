#!/usr/bin/env bash
# tickwire's main job: paper trading on the bundled capture. Installs what is
# missing, builds the release (which makes the capture with `tickwire synth`),
# then runs `tickwire paper` with the default config: feed -> market maker ->
# pre-trade checks -> OUCH -> simulated venue, on one thread. Prints the run's
# figures and, last, the summary line with the tick-to-trade percentiles.
# Extra arguments go to `tickwire paper` (e.g. --seed 7, --symbols A,B).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash tools/deps.sh >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" >&2

./build/release/tools/tickwire paper build/release/paper/default.pcap \
	-c tools/paper.cfg --out build/release/paper/run "$@"
