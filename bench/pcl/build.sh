#!/usr/bin/env bash
# Builds the PCL side of bench/pointcloud.bench.ts against Debian's libpcl-dev (apt-get install
# libpcl-dev). The binary goes to out/pcl/pcl-bench (git-ignored; never committed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$root/out/pcl"
if ! pkg-config --exists pcl_filters pcl_io; then
  echo "libpcl-dev not found (pkg-config pcl_filters pcl_io): apt-get install -y libpcl-dev" >&2
  exit 1
fi
# -O2 without -march=native: Eigen alignment must match the Debian-built libpcl (else it crashes).
g++ -O2 -std=c++17 "$here/pcl-bench.cpp" -o "$root/out/pcl/pcl-bench" \
  $(pkg-config --cflags --libs pcl_filters pcl_io pcl_kdtree pcl_search pcl_common) -lflann_cpp -llz4
echo "built $root/out/pcl/pcl-bench"
