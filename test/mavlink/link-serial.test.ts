/**
 * A `serial://` link on a real pseudo-terminal (a Python helper holds the master side, as a
 * radio would): frames both ways, and write backpressure — while the far end does not read, the
 * outbound queue stays within its bound and the excess is dropped and counted; once it reads,
 * every frame written arrives whole and in order.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { common, minimal } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { MavlinkEncoder, MavlinkParser } from '../../hardware/real/mavlink/codec.js';
import { openLink } from '../../hardware/real/mavlink/link.js';

const PEER = String.raw`
import os, pty, sys, select, tty
m, s = pty.openpty()
tty.setraw(s)
tty.setraw(m)
sys.stdout.write(os.ttyname(s) + "\n"); sys.stdout.flush()
out = sys.stdout.buffer
reading = False
while True:
    r, _, _ = select.select(([m] if reading else []) + [sys.stdin], [], [])
    if sys.stdin in r:
        line = sys.stdin.buffer.readline()
        if not line:
            break
        if line.startswith(b"read"):
            reading = True
        elif line.startswith(b"hex "):
            os.write(m, bytes.fromhex(line[4:].decode().strip()))
    if reading and m in r:
        try:
            data = os.read(m, 65536)
        except OSError:
            break
        out.write(data); out.flush()
`;

const python = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const serialport = await import('serialport').then(() => true, () => false);

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function ptyPeer(): Promise<{ path: string; child: ChildProcessWithoutNullStreams; received: Buffer[] }> {
  const child = spawn('python3', ['-u', '-c', PEER]);
  cleanup.push(() => { child.stdin.end(); child.kill(); });
  const received: Buffer[] = [];
  const path = await new Promise<string>((resolve, reject) => {
    let head = '';
    const onData = (b: Buffer) => {
      head += b.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      const rest = Buffer.from(head.slice(nl + 1), 'latin1');
      if (rest.length > 0) received.push(rest);
      child.stdout.on('data', (d: Buffer) => received.push(d));
      resolve(head.slice(0, nl).trim());
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
  });
  return { path, child, received };
}

describe.skipIf(!python || !serialport)('serial link on a pseudo-terminal', () => {
  it('reads frames from the port and counts garbage', async () => {
    const peer = await ptyPeer();
    const opened = await openLink(`serial://${peer.path}:115200`);
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    cleanup.push(() => link.close());
    const frames: number[] = [];
    link.onFrame((f) => frames.push(f.msgid));
    const hb = new MavlinkEncoder(1, 1).encode(Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 1, customMode: 0, systemStatus: 3, mavlinkVersion: 3 }));
    peer.child.stdin.write(`hex ${Buffer.concat([Buffer.from('garbage!'), hb]).toString('hex')}\n`);
    await until(() => frames.length === 1, 3000, 'the heartbeat');
    expect(link.stats.garbageBytes).toBeGreaterThanOrEqual(8);
    expect(link.routeOf(1)).toBe(`serial:${peer.path}`);
  });

  it('bounds the outbound queue while the far end does not read; delivers whole frames in order once it does', async () => {
    const peer = await ptyPeer();
    const maxQueuedBytes = 16 * 1024;
    const opened = await openLink(`serial://${peer.path}:115200`, { maxQueuedBytes });
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    cleanup.push(() => link.close());
    const enc = new MavlinkEncoder(245, 190);
    const big = () => Object.assign(new common.FileTransferProtocol(), { targetNetwork: 0, targetSystem: 1, targetComponent: 1, payload: Array.from({ length: 251 }, (_, i) => (i * 13 + 5) & 0xff) });
    let sent = 0;
    let maxQueued = 0;
    for (let i = 0; i < 20_000 && link.stats.txBackpressureDrops < 50; i++) {
      link.send(enc.encode(big()));
      sent++;
      maxQueued = Math.max(maxQueued, link.stats.txQueuedBytes);
      if (i % 200 === 199) await sleep(1);
    }
    expect(link.stats.txBackpressureDrops).toBeGreaterThanOrEqual(50);
    expect(maxQueued).toBeLessThanOrEqual(maxQueuedBytes);
    peer.child.stdin.write('read\n');
    await until(() => link.stats.txQueuedBytes === 0, 20_000, 'the queue to drain');
    const parser = new MavlinkParser();
    const seqs: number[] = [];
    const want = sent - link.stats.txBackpressureDrops;
    await until(() => {
      while (peer.received.length > 0) parser.push(peer.received.shift()!, (f) => seqs.push(f.seq));
      return seqs.length >= want;
    }, 20_000, 'every written frame');
    expect(seqs.length).toBe(want);
    expect(link.stats.txFrames).toBe(want);
    expect(parser.stats.badCrc + parser.stats.garbageBytes).toBe(0);
    let back = 0;
    for (let i = 1; i < seqs.length; i++) if (seqs[i] !== ((seqs[i - 1]! + 1) & 0xff) && seqs[i]! < seqs[i - 1]! && seqs[i - 1]! - seqs[i]! < 128) back++;
    expect(back).toBe(0);
  }, 60_000);
});
