import { describe, expect, it } from 'vitest';
import { runSitlCommand } from '../../hardware/sim/sitl/index.js';

describe('runSitlCommand', () => {
  it('serves N vehicles, prints one line per instance with its ports, and stops on abort', async () => {
    const lines: string[] = [];
    const ac = new AbortController();
    const run = runSitlCommand({
      count: 3, speed: 5, apiLocalPortBase: 0, apiRemotePortBase: 0, gcsLocalPortBase: 0, gcsRemotePort: 0,
      signal: ac.signal, print: (l) => { lines.push(l); if (lines.length === 3) setTimeout(() => ac.abort(), 50); },
    });
    await run;
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^drone${i + 1} sysid=${i + 1} api=udp:127\\.0\\.0\\.1:\\d+→- gcs=udp:127\\.0\\.0\\.1:\\d+→-$`)));
  });

  it('rejects a bad count or speed', async () => {
    await expect(runSitlCommand({ count: 0 })).rejects.toThrow(/SITL.INVALID_COUNT/);
    await expect(runSitlCommand({ count: 1, speed: 0 })).rejects.toThrow(/SITL.INVALID_SPEED/);
  });
});
