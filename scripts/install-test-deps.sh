#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, from Debian:
# - chromium: the dashboard's browser test (driven by playwright-core; `npx playwright install` is not used);
# - xz-utils: the events test checks the SITL's .json.xz files with the reference `xz` tool;
# - python3: the serial-link test drives a pseudo-terminal from a small Python helper;
# - zstd: the recording tests decompress MCAP chunks with the reference `zstd` tool (an independent reader).
# - ros-core, python3-rospy and the message packages: the ROS 1 tests run roscore, rostopic, rosservice, rosmsg and a rospy node.
set -euo pipefail
missing=()
{ command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; } || missing+=(chromium)
[ -x /usr/bin/xz ] || missing+=(xz-utils)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
{ command -v roscore >/dev/null 2>&1 && /usr/bin/python3 -c 'import rospy, geometry_msgs.msg, sensor_msgs.msg, nav_msgs.msg, tf2_msgs.msg, std_srvs.srv' 2>/dev/null && [ -f /usr/share/geometry_msgs/msg/PoseStamped.msg ]; } || missing+=(ros-core python3-rospy python3-geometry-msgs python3-sensor-msgs python3-nav-msgs python3-tf2-msgs python3-std-srvs ros-geometry-msgs ros-sensor-msgs ros-nav-msgs ros-tf2-msgs ros-std-srvs)
[ -x /usr/libexec/ignition/transport11/ign-transport-topic ] || missing+=(ignition-transport-cli)  # Gazebo transport interop tests (test/gazebo)
if [ ${#missing[@]} -eq 0 ]; then
  echo "test deps present: $(chromium --version 2>/dev/null || echo chromium), $(/usr/bin/xz --version | head -1), $(python3 --version), $(zstd --version)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install with your package manager: ${missing[*]} (the dashboard test looks for /usr/bin/chromium)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
