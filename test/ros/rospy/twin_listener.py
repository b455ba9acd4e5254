"""A rospy node that listens to the twin: its odometry and its (latched) mission status, then
loads a mission through overwatch_msgs/LoadMission (a class made at run time from the .srv text,
as a client without the twin's message package would) and prints one JSON line per event.

Usage: twin_listener.py <ns> <mission_json>   (exit 0 when all was seen, 3 on timeout)
"""
import hashlib
import json
import sys

import rospy
from genpy.dynamic import generate_dynamic
from nav_msgs.msg import Odometry
from std_msgs.msg import String

ns, mission_json = sys.argv[1], sys.argv[2]

REQ = "string mission_json\nstring plan_path\n"
RES = "bool success\nstring message\n"
req_cls = generate_dynamic("overwatch_msgs/LoadMissionRequest", REQ)["overwatch_msgs/LoadMissionRequest"]
res_cls = generate_dynamic("overwatch_msgs/LoadMissionResponse", RES)["overwatch_msgs/LoadMissionResponse"]


class LoadMission(object):
    _type = "overwatch_msgs/LoadMission"
    # genmsg: md5 of the request's and the response's md5 texts concatenated
    _md5sum = hashlib.md5((REQ.strip() + RES.strip()).encode()).hexdigest()
    _request_class = req_cls
    _response_class = res_cls


seen = {"odom": 0, "status": []}


def on_odom(msg):
    seen["odom"] += 1
    if seen["odom"] == 1:
        print(json.dumps({"odom": {"frame": msg.header.frame_id, "child": msg.child_frame_id,
                                   "z": msg.pose.pose.position.z, "secs": msg.header.stamp.secs}}), flush=True)


def on_status(msg):
    s = json.loads(msg.data)
    seen["status"].append(s["status"])
    print(json.dumps({"status": s}), flush=True)


rospy.init_node("twin_listener", anonymous=True, disable_signals=True)
rospy.Subscriber(ns + "/odom", Odometry, on_odom)
rospy.Subscriber(ns + "/mission/status", String, on_status)
rospy.wait_for_service(ns + "/mission/load", timeout=10)
# the latched status first (the twin's state at subscription time), then load
deadline = rospy.Time.now() + rospy.Duration(10)
while not seen["status"] and rospy.Time.now() < deadline:
    rospy.sleep(0.02)
load = rospy.ServiceProxy(ns + "/mission/load", LoadMission)
bad = load(mission_json="{not json", plan_path="")
print(json.dumps({"load_bad": {"success": bad.success, "message": bad.message}}), flush=True)
ok = load(mission_json=mission_json, plan_path="")
print(json.dumps({"load": {"success": ok.success, "message": ok.message}}), flush=True)
deadline = rospy.Time.now() + rospy.Duration(20)
while not rospy.is_shutdown():
    if seen["odom"] > 0 and "LOADED" in seen["status"]:
        sys.exit(0)
    if rospy.Time.now() > deadline:
        sys.exit(3)
    rospy.sleep(0.02)
