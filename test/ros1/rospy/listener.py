"""A rospy node that subscribes to a PoseStamped topic and prints each message as one JSON line.

Usage: listener.py <topic> <count>   (exits 0 after <count> messages, 3 after 20 s without them)
"""
import json
import sys

import rospy
from geometry_msgs.msg import PoseStamped

topic, count = sys.argv[1], int(sys.argv[2])
received = []


def on_msg(msg):
    received.append(msg)
    print(json.dumps({
        "seq": msg.header.seq,
        "frame_id": msg.header.frame_id,
        "stamp": [msg.header.stamp.secs, msg.header.stamp.nsecs],
        "x": msg.pose.position.x,
        "w": msg.pose.orientation.w,
        "publisher": msg._connection_header.get("callerid", ""),
        "latching": msg._connection_header.get("latching", ""),
    }), flush=True)
    if len(received) >= count:
        rospy.signal_shutdown("done")


rospy.init_node("rospy_listener", anonymous=True, disable_signals=True)
rospy.Subscriber(topic, PoseStamped, on_msg)
print("READY", flush=True)
deadline = rospy.Time.now() + rospy.Duration(20)
while not rospy.is_shutdown() and len(received) < count:
    if rospy.Time.now() > deadline:
        sys.exit(3)
    rospy.sleep(0.02)
sys.exit(0)
