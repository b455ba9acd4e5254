"""A rospy node publishing geometry_msgs/PoseStamped on <topic> at 20 Hz (seq counts up).
Prints READY once it has a subscriber."""
import sys

import rospy
from geometry_msgs.msg import PoseStamped

topic = sys.argv[1]
rospy.init_node("rospy_talker", anonymous=True)
pub = rospy.Publisher(topic, PoseStamped, queue_size=10)
rate = rospy.Rate(20)
seq = 0
ready = False
while not rospy.is_shutdown():
    if not ready and pub.get_num_connections() > 0:
        print("READY", flush=True)
        ready = True
    msg = PoseStamped()
    msg.header.seq = seq
    msg.header.frame_id = "rospy"
    msg.pose.orientation.w = 1.0
    pub.publish(msg)
    seq += 1
    rate.sleep()
