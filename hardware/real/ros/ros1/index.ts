/**
 * ROS 1 node client (TCPROS + XML-RPC master/slave APIs), written on @foxglove/xmlrpc and the
 * @foxglove/rosmsg family. See README.md for the protocol coverage and why not rosnodejs.
 */
export type * from './ros1-node.types.js';
export { createRos1Node, Ros1OptionsError } from './ros1-node.js';
