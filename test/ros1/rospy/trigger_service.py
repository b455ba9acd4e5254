"""A rospy node offering std_srvs/Trigger at <name>; answers success with a counter, or raises
when the node was started with 'fail'. Prints READY once advertised."""
import sys

import rospy
from std_srvs.srv import Trigger, TriggerResponse

name = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
calls = [0]


def handle(_req):
    calls[0] += 1
    if mode == "fail":
        raise rospy.ServiceException("rospy refuses on purpose")
    return TriggerResponse(success=True, message="rospy call %d" % calls[0])


rospy.init_node("rospy_trigger", anonymous=True)
rospy.Service(name, Trigger, handle)
print("READY", flush=True)
rospy.spin()
