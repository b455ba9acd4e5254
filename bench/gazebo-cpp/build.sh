#!/usr/bin/env bash
# Builds the C++ side of bench/gazebo.bench.ts against Debian's Ignition Transport 11
# (apt-get install libignition-transport-dev). The binary goes to out/gazebo-cpp/gz-bench
# (git-ignored; never committed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$root/out/gazebo-cpp"
if ! pkg-config --exists ignition-transport11 ignition-msgs8; then
  echo "Ignition Transport 11 headers not found: apt-get install -y libignition-transport-dev" >&2
  exit 1
fi
g++ -O2 -std=c++17 "$here/gz-bench.cpp" -o "$root/out/gazebo-cpp/gz-bench" $(pkg-config --cflags --libs ignition-transport11 ignition-msgs8) -lpthread
echo "built $root/out/gazebo-cpp/gz-bench"
