#!/usr/bin/env bash
# All of tickwire's tests: installs what is missing (tools/deps.sh), builds
# the release, ASan+UBSan and TSan configurations with -Werror, runs every
# cmocka/ctest test in each, fuzzes the feed stage for a bounded time
# (TW_FUZZ_SECONDS, default 90), and smoke-runs the benchmarks.
# Usage: bash tools/test_all.sh [--fast]   (--fast: release build only)
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
[ "${1:-}" = "--fast" ] && fast=1
jobs=$(nproc 2>/dev/null || echo 2)
werror=${TW_WERROR:-ON}
step() { printf '\n== %s\n' "$*"; }

step "dependencies"
bash tools/deps.sh

step "release build (-O3, -Werror=$werror)"
cmake --preset release -DTW_WERROR="$werror" >/dev/null
cmake --build --preset release -j"$jobs"
step "release tests"
ctest --preset release

step "benchmark smoke runs (figures are not checked here)"
./build/release/bench/bench_hdr --quick
./build/release/bench/bench_book --quick
./build/release/bench/bench_feed --quick
if [ -x build/release/bench/bench_ring ]; then
	# 77: skipped (fewer than two usable cpus); anything else non-zero fails.
	rc=0
	./build/release/bench/bench_ring --quick || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || exit "$rc"
fi

if [ "$fast" = 1 ]; then
	exit 0
fi

step "asan+ubsan build"
cmake --preset asan -DTW_WERROR="$werror" >/dev/null
cmake --build --preset asan -j"$jobs"
step "asan+ubsan tests"
ctest --preset asan

fuzz_s=${TW_FUZZ_SECONDS:-90}
data=${TW_DATA_DIR:-../shared/data}
step "fuzz: packet -> MoldUDP64 -> ITCH -> book (libFuzzer, ASan+UBSan, ${fuzz_s} s)"
cmake --preset fuzz -DTW_WERROR="$werror" >/dev/null
cmake --build --preset fuzz -j"$jobs" --target fuzz_feed
rm -rf build/fuzz/seeds && mkdir -p build/fuzz/corpus
python3 tests/fuzz/make_seeds.py "$data" build/fuzz/seeds
# A crash, leak or sanitizer report exits non-zero and fails the run.
./build/fuzz/tests/fuzz_feed -max_total_time="$fuzz_s" -timeout=10 -rss_limit_mb=4096 \
	-print_final_stats=1 build/fuzz/corpus build/fuzz/seeds 2>&1 | tail -n 12

step "tsan build"
cmake --preset tsan -DTW_WERROR="$werror" >/dev/null
cmake --build --preset tsan -j"$jobs"
step "tsan tests"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --preset tsan

step "all tests passed"
