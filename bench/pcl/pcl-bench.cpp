// PCL side of bench/pointcloud.bench.ts: reads a binary PCD, runs pcl::VoxelGrid and
// pcl::StatisticalOutlierRemoval (best of `reps` runs each, file read excluded) and prints one
// JSON line. Build: bash bench/pcl/build.sh (Debian libpcl-dev); the binary lands in out/pcl/.
// Usage: pcl-bench <cloud.pcd> <leaf_m> <meanK> <stddevMul> <reps> [voxel|sor|both] [sor_reps]
#include <pcl/filters/statistical_outlier_removal.h>
#include <pcl/filters/voxel_grid.h>
#include <pcl/io/pcd_io.h>
#include <pcl/point_types.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using Cloud = pcl::PointCloud<pcl::PointXYZ>;

static double nowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
// CPU time of this process: the fair measure on a machine shared with other work.
static double cpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s cloud.pcd leaf meanK stddevMul reps [voxel|sor|both]\n", argv[0]);
    return 2;
  }
  pcl::console::setVerbosityLevel(pcl::console::L_ERROR);
  const float leaf = std::strtof(argv[2], nullptr);
  const int meanK = std::atoi(argv[3]);
  const double mul = std::strtod(argv[4], nullptr);
  const int reps = std::atoi(argv[5]);
  const std::string what = argc > 6 ? argv[6] : "both";
  const int sorReps = argc > 7 ? std::atoi(argv[7]) : reps;
  Cloud::Ptr cloud(new Cloud);
  const double t0 = nowMs();
  if (pcl::io::loadPCDFile<pcl::PointXYZ>(argv[1], *cloud) != 0) return 1;
  const double readMs = nowMs() - t0;

  double voxelMs = -1, sorMs = -1, voxelCpu = -1, sorCpu = -1;
  std::size_t voxelOut = 0, sorOut = 0;
  if (what != "sor") {
    for (int r = 0; r < reps; ++r) {
      Cloud out;
      const double a = nowMs(), c = cpuMs();
      pcl::VoxelGrid<pcl::PointXYZ> vg;
      vg.setInputCloud(cloud);
      vg.setLeafSize(leaf, leaf, leaf);
      vg.filter(out);
      const double ms = nowMs() - a;
      const double cpu = cpuMs() - c;
      if (voxelMs < 0 || ms < voxelMs) voxelMs = ms;
      if (voxelCpu < 0 || cpu < voxelCpu) voxelCpu = cpu;
      voxelOut = out.size();
    }
  }
  if (what != "voxel") {
    for (int r = 0; r < sorReps; ++r) {
      Cloud out;
      const double a = nowMs(), c = cpuMs();
      pcl::StatisticalOutlierRemoval<pcl::PointXYZ> sor;  // builds its own KdTreeFLANN: timed, as in ours
      sor.setInputCloud(cloud);
      sor.setMeanK(meanK);
      sor.setStddevMulThresh(mul);
      sor.filter(out);
      const double ms = nowMs() - a;
      const double cpu = cpuMs() - c;
      if (sorMs < 0 || ms < sorMs) sorMs = ms;
      if (sorCpu < 0 || cpu < sorCpu) sorCpu = cpu;
      sorOut = out.size();
    }
  }
  std::printf("{\"points\":%zu,\"read_ms\":%.3f,\"voxel_ms\":%.3f,\"voxel_cpu_ms\":%.3f,\"voxel_out\":%zu,\"sor_ms\":%.3f,\"sor_cpu_ms\":%.3f,\"sor_out\":%zu}\n",
              cloud->size(), readMs, voxelMs, voxelCpu, voxelOut, sorMs, sorCpu, sorOut);
  return 0;
}
