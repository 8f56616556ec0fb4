#!/usr/bin/env bash
# tickwire's main job at this stage of the project: build the release and run
# the latency benchmarks of the hot path's building blocks -- our SPSC ring
# against DPDK's rte_ring (throughput, round-trip percentiles from our HDR
# histogram) and the HDR histogram itself. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash tools/deps.sh >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" >&2

./build/release/tools/tickwire check
echo
./build/release/bench/bench_ring "$@"
echo
./build/release/bench/bench_hdr
