/**
 * ROS 1 publish → receive rate, `rostopic hz` style: a publisher sends flat out (queue_size 100,
 * oldest dropped when the connection is congested, as rospy does) and a separate receiving
 * process counts what arrives (and fully deserialises it) over a fixed window. Our publisher and
 * a rospy publisher (Debian's python3-rospy) are measured in the same run against the same
 * roscore and the same receiver, for geometry_msgs/PoseStamped and a 64 × 1024 PointCloud2
 * (point_step 16: x, y, z, intensity float32; 1 MiB of data per message).
 *
 * The two publishers alternate over `rounds` rounds (the machine is shared: load varies over a
 * run), and the mean of the rounds is printed beside each round's figure.
 *
 * Run: `npm run build && node dist/bench/ros1.bench.js [window-seconds=3] [rounds=2]`
 * Needs roscore and python3-rospy (scripts/install-test-deps.sh); prints 'skipped' otherwise.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { XmlRpcClient } from '@foxglove/xmlrpc';
import { createRos1Node, type Ros1Message } from '../hardware/real/ros/ros1/index.js';

const PYTHON = '/usr/bin/python3';
const CLOUD_W = 1024;
const CLOUD_H = 64;
const POINT_STEP = 16;

interface Case {
  readonly label: string;
  readonly type: string;
  readonly message: () => Ros1Message;
}

const CASES: Case[] = [
  {
    label: 'PoseStamped',
    type: 'geometry_msgs/PoseStamped',
    message: () => ({
      header: { seq: 0, stamp: { sec: 1, nsec: 0 }, frame_id: 'map' },
      pose: { position: { x: 1, y: 2, z: 3 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    }),
  },
  {
    label: `PointCloud2 ${CLOUD_H}x${CLOUD_W}`,
    type: 'sensor_msgs/PointCloud2',
    message: () => {
      const data = new Uint8Array(CLOUD_W * CLOUD_H * POINT_STEP);
      const f = new Float32Array(data.buffer);
      for (let i = 0; i < f.length; i++) f[i] = (i % 97) * 0.25;
      return {
        header: { seq: 0, stamp: { sec: 1, nsec: 0 }, frame_id: 'os_sensor' },
        height: CLOUD_H,
        width: CLOUD_W,
        fields: ['x', 'y', 'z', 'intensity'].map((name, i) => ({ name, offset: i * 4, datatype: 7, count: 1 })),
        is_bigendian: false,
        point_step: POINT_STEP,
        row_step: POINT_STEP * CLOUD_W,
        data,
        is_dense: true,
      };
    },
  },
];

const ROSPY_PUBLISHER = `
import sys, rospy
from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import PointCloud2, PointField
topic, kind = sys.argv[1], sys.argv[2]
rospy.init_node('rospy_bench_pub', anonymous=True, disable_signals=True)
if kind == 'pose':
    msg = PoseStamped()
    msg.header.frame_id = 'map'
    msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = 1.0, 2.0, 3.0
    msg.pose.orientation.w = 1.0
    pub = rospy.Publisher(topic, PoseStamped, queue_size=100)
else:
    import struct
    msg = PointCloud2()
    msg.header.frame_id = 'os_sensor'
    msg.height, msg.width = ${CLOUD_H}, ${CLOUD_W}
    msg.fields = [PointField(n, i * 4, 7, 1) for i, n in enumerate(['x', 'y', 'z', 'intensity'])]
    msg.point_step, msg.row_step = ${POINT_STEP}, ${POINT_STEP * CLOUD_W}
    n = ${CLOUD_W * CLOUD_H * 4}
    msg.data = struct.pack('<%df' % n, *[(i % 97) * 0.25 for i in range(n)])
    msg.is_dense = True
    pub = rospy.Publisher(topic, PointCloud2, queue_size=100)
print('READY', flush=True)
while not rospy.is_shutdown():
    pub.publish(msg)
`;

async function main(): Promise<void> {
  if (process.argv[2] === '--receiver') return receiver(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  const windowS = Number(process.argv[2] ?? 3);
  const rounds = Math.max(1, Number(process.argv[3] ?? 2));
  try {
    execFileSync('sh', ['-c', 'command -v roscore'], { stdio: 'ignore' });
    execFileSync(PYTHON, ['-c', 'import rospy, geometry_msgs.msg, sensor_msgs.msg'], { stdio: 'ignore' });
  } catch {
    console.log('ros1 bench skipped: roscore or python3-rospy (+ geometry/sensor msgs) not installed');
    return;
  }
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, node ${process.version}; window ${windowS} s per run, ${rounds} rounds`);
  const core = await startRoscore();
  const script = join(core.home, 'rospy_pub.py');
  writeFileSync(script, ROSPY_PUBLISHER);
  const node = await createRos1Node({ name: 'bench_pub', masterUri: core.uri });
  try {
    for (const c of CASES) {
      const rows: Array<{ who: 'ours' | 'rospy'; rate: number; mbps: number }> = [];
      for (let round = 0; round < rounds; round++) for (const who of ['ours', 'rospy'] as const) {
        const topic = `/bench/${who}/${c.label.split(' ')[0]!.toLowerCase()}${round}`;
        let stopPublishing = (): void => undefined;
        let pyChild: ChildProcess | undefined;
        if (who === 'ours') {
          const pub = node.advertise(topic, c.type, { queueSize: 100 });
          if (!pub.ok) throw new Error(pub.error.message);
          const msg = c.message();
          let running = true;
          const batch = c.type === 'sensor_msgs/PointCloud2' ? 4 : 200;
          const loop = (): void => {
            if (!running) return;
            for (let i = 0; i < batch; i++) pub.value.publish(msg);
            setImmediate(loop);
          };
          loop();
          stopPublishing = () => {
            running = false;
            void pub.value.close();
          };
        } else {
          pyChild = spawn(PYTHON, [script, topic, c.type.endsWith('PointCloud2') ? 'cloud' : 'pose'], { env: core.env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
          await lineFrom(pyChild, 'READY');
          stopPublishing = () => {
            if (pyChild?.pid !== undefined) process.kill(-pyChild.pid, 'SIGKILL');
          };
        }
        const r = await measure(core, topic, c.type, windowS);
        stopPublishing();
        rows.push({ who, rate: r.msgs / r.seconds, mbps: r.bytes / r.seconds / 1e6 });
      }
      const of = (who: 'ours' | 'rospy') => {
        const rs = rows.filter((r) => r.who === who);
        const rate = rs.reduce((a, r) => a + r.rate, 0) / rs.length;
        const mbps = rs.reduce((a, r) => a + r.mbps, 0) / rs.length;
        return { rate, text: `${rate.toFixed(0).padStart(7)} msgs/s (${mbps.toFixed(1)} MB/s) [${rs.map((r) => r.rate.toFixed(0)).join(', ')}]` };
      };
      const ours = of('ours');
      const rospy = of('rospy');
      console.log(`${c.label.padEnd(20)} ours ${ours.text}   rospy ${rospy.text}   ratio ${(ours.rate / rospy.rate).toFixed(2)}x`);
    }
  } finally {
    await node.shutdown();
    await core.dispose();
  }
}

/** Forks the receiving process, waits for its first message, counts for `windowS` seconds. */
async function measure(core: { uri: string }, topic: string, type: string, windowS: number): Promise<{ msgs: number; bytes: number; seconds: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--receiver', core.uri, topic, type], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  try {
    await lineFrom(child, 'FLOWING', 20_000);
    await sleep(1000); // warm-up: connections settled, JIT warm
    child.stdin!.write('start\n');
    await sleep(windowS * 1000);
    child.stdin!.write('stop\n');
    const line = await lineFrom(child, '{', 10_000);
    return JSON.parse(line) as { msgs: number; bytes: number; seconds: number };
  } finally {
    child.kill('SIGKILL');
  }
}

/** Receiver process: subscribes with our node and counts messages between 'start' and 'stop'. */
async function receiver(masterUri: string, topic: string, type: string): Promise<void> {
  const node = await createRos1Node({ name: `bench_rx_${process.pid}`, masterUri });
  let msgs = 0;
  let bytes = 0;
  let counting = false;
  let flowing = false;
  let t0 = 0n;
  const sub = node.subscribe(topic, type, (_m, meta) => {
    if (!flowing) {
      flowing = true;
      process.stdout.write('FLOWING\n');
    }
    if (counting) {
      msgs += 1;
      bytes += meta.byteLength;
    }
  });
  if (!sub.ok) throw new Error(sub.error.message);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'start') {
      msgs = 0;
      bytes = 0;
      counting = true;
      t0 = process.hrtime.bigint();
    } else if (line === 'stop') {
      counting = false;
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      process.stdout.write(`${JSON.stringify({ msgs, bytes, seconds })}\n`);
      await node.shutdown();
      process.exit(0);
    }
  }
}

function lineFrom(child: ChildProcess, prefix: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => reject(new Error(`no '${prefix}' line in ${timeoutMs} ms`)), timeoutMs);
    rl.on('line', (l) => {
      if (l.startsWith(prefix)) {
        clearTimeout(t);
        rl.close();
        resolve(l);
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function startRoscore(): Promise<{ uri: string; home: string; env: NodeJS.ProcessEnv; dispose: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const home = mkdtempSync(join(tmpdir(), 'ros1-bench-'));
  const uri = `http://127.0.0.1:${port}/`;
  const env = { ...process.env, ROS_MASTER_URI: uri, ROS_HOME: home, ROS_LOG_DIR: join(home, 'log'), ROS_IP: '127.0.0.1', PYTHONUNBUFFERED: '1' };
  const core = spawn('roscore', ['-p', String(port)], { env, detached: true, stdio: 'ignore' });
  const client = new XmlRpcClient(uri);
  for (let i = 0; ; i++) {
    try {
      if (((await client.methodCall('getPid', ['/bench'])) as unknown[])[0] === 1) break;
    } catch {
      if (i > 100) throw new Error('roscore did not start');
    }
    await sleep(200);
  }
  return {
    uri,
    home,
    env,
    dispose: async () => {
      if (core.pid !== undefined && core.exitCode === null) {
        const gone = new Promise((r) => core.once('exit', r));
        process.kill(-core.pid, 'SIGINT');
        await Promise.race([gone, sleep(5000)]);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
