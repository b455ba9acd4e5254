/**
 * ROS 2 on rclnodejs (optional: loaded only when ROS 2 is sourced and rclnodejs installed).
 * Written for Humble and Jazzy; see ros/README.md.
 */
export { connectRos2, loadRclnodejs, ros2NodeAdapter, ros2Sourced, type Ros2NodeOptions, type RclnodejsLike } from './ros2-node.adapter.js';
