#!/usr/bin/env bash
# All of tickwire's tests: installs what is missing (tools/deps.sh), builds
# the release, ASan+UBSan and TSan configurations with -Werror, runs every
# cmocka/ctest test in each, fuzzes the feed stage and the gateway's wire
# side for a bounded time (TW_FUZZ_SECONDS in all, default 90), and
# smoke-runs the benchmarks.
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
# One budget for both targets, split 2:1 between the feed and the gateway.
feed_s=$(( (fuzz_s * 2 + 2) / 3 ))
gw_s=$(( fuzz_s - feed_s ))
[ "$gw_s" -ge 1 ] || gw_s=1
step "fuzz (libFuzzer, ASan+UBSan, ${fuzz_s} s): feed ${feed_s} s, gateway ${gw_s} s"
cmake --preset fuzz -DTW_WERROR="$werror" >/dev/null
cmake --build --preset fuzz -j"$jobs" --target fuzz_feed fuzz_gw
rm -rf build/fuzz/seeds build/fuzz/seeds_gw && mkdir -p build/fuzz/corpus build/fuzz/corpus_gw
python3 tests/fuzz/make_seeds.py "$data" build/fuzz/seeds
python3 tests/fuzz/make_seeds_gw.py "$data" build/fuzz/seeds_gw
# fuzz_run NAME SECONDS DIRS...: prints runs, coverage and the final stats;
# a crash, leak, sanitizer report or broken invariant fails the run, with
# the log's tail and the crashing input left in build/fuzz.
fuzz_run() {
	local name=$1 secs=$2 rc=0
	shift 2
	./build/fuzz/tests/"$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix=build/fuzz/ "$@" >build/fuzz/"$name".log 2>&1 ||
		rc=$?
	grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done|^stat::' build/fuzz/"$name".log || true
	if [ "$rc" != 0 ]; then
		tail -n 60 build/fuzz/"$name".log
		echo "$name failed (exit $rc); log: build/fuzz/$name.log"
		exit "$rc"
	fi
}
step "fuzz_feed: packet -> MoldUDP64 -> ITCH -> book (${feed_s} s)"
fuzz_run fuzz_feed "$feed_s" build/fuzz/corpus build/fuzz/seeds
step "fuzz_gw: SoupBinTCP/OUCH codec, venue stream -> gw, client bytes -> paper venue (${gw_s} s)"
fuzz_run fuzz_gw "$gw_s" build/fuzz/corpus_gw build/fuzz/seeds_gw

step "tsan build"
cmake --preset tsan -DTW_WERROR="$werror" >/dev/null
cmake --build --preset tsan -j"$jobs"
step "tsan tests"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --preset tsan

step "all tests passed"
