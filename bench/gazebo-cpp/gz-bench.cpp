// The C++ side of bench/gazebo.bench.ts: Ignition Transport 11 (Debian's libignition-transport-dev)
// publishing or receiving ignition.msgs.Pose in a closed loop, for a rate to set beside ours.
//   gz-bench pub <topic> <seconds>   wait for a subscriber, publish as fast as Publish() returns
//   gz-bench sub <topic> <seconds>   count messages for <seconds> after the first one
//   gz-bench srv <service> <seconds> offer <service> (StringMsg → StringMsg, "cpp: " + data;
//                                    data "fail" answers false) for <seconds>
// Prints one JSON line. IGN_PARTITION selects the partition.
#include <ignition/msgs/pose.pb.h>
#include <ignition/msgs/stringmsg.pb.h>
#include <ignition/transport/Node.hh>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using Clock = std::chrono::steady_clock;

int main(int argc, char **argv)
{
  if (argc < 4) { std::fprintf(stderr, "usage: gz-bench pub|sub <topic> <seconds>\n"); return 2; }
  const std::string mode = argv[1], topic = argv[2];
  const double seconds = std::atof(argv[3]);
  ignition::transport::Node node;
  if (mode == "pub")
  {
    auto pub = node.Advertise<ignition::msgs::Pose>(topic);
    auto t0 = Clock::now();
    while (!pub.HasConnections())
    {
      if (Clock::now() - t0 > std::chrono::seconds(15)) { std::printf("{\"error\":\"no subscriber\"}\n"); return 1; }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ignition::msgs::Pose msg;
    msg.set_name("uav-1");
    msg.mutable_position()->set_x(1.5);
    msg.mutable_position()->set_y(-2);
    msg.mutable_position()->set_z(30);
    msg.mutable_orientation()->set_w(1);
    long n = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < end)
    {
      msg.set_id(static_cast<unsigned>(n));
      pub.Publish(msg);
      ++n;
    }
    double dt = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("{\"sent\":%ld,\"seconds\":%.3f}\n", n, dt);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return 0;
  }
  if (mode == "srv")
  {
    std::function<bool(const ignition::msgs::StringMsg &, ignition::msgs::StringMsg &)> cb =
      [](const ignition::msgs::StringMsg &_req, ignition::msgs::StringMsg &_rep)
    {
      _rep.set_data("cpp: " + _req.data());
      return _req.data() != "fail";
    };
    if (!node.Advertise(topic, cb)) { std::printf("{\"error\":\"advertise\"}\n"); return 1; }
    std::printf("{\"ready\":true}\n");
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::_Exit(0);
  }
  std::atomic<long> count{0};
  std::atomic<bool> started{false};
  Clock::time_point first;
  std::function<void(const ignition::msgs::Pose &)> cb = [&](const ignition::msgs::Pose &)
  {
    if (!started.exchange(true)) first = Clock::now();
    ++count;
  };
  node.Subscribe(topic, cb);
  std::printf("{\"ready\":true}\n");
  std::fflush(stdout);
  auto t0 = Clock::now();
  while (!started && Clock::now() - t0 < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!started) { std::printf("{\"error\":\"nothing received\"}\n"); return 1; }
  std::this_thread::sleep_until(first + std::chrono::duration<double>(seconds));
  long n = count.load();
  std::printf("{\"received\":%ld,\"seconds\":%.3f}\n", n, seconds);
  std::fflush(stdout);
  std::_Exit(0);
}
