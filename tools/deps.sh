#!/usr/bin/env bash
# Installs the Debian 12 packages tickwire builds, tests and benchmarks with.
# Idempotent and non-interactive: installs only what is missing, from Debian's
# own archive. Needs root (or sudo) only when something is missing.
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config git
	libdpdk-dev liburing-dev libssl-dev libcmocka-dev libpcap-dev
	zlib1g-dev libconfig-dev
	gnuplot-nox tshark
	clang libclang-rt-14-dev
	valgrind python3
	default-jre-headless libhdrhistogram-java
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
