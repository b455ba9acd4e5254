/**
 * The events client against a real PX4 SITL (v1.15+), enabled by `PX4_EVENTS=<url>` with the
 * vehicle's system id in `PX4_EVENTS_SYSID` (default 1), e.g. for instance 8 of
 * a PX4 SITL instance 8 (`px4 -i 8`, see README: Flying PX4 SITL): `PX4_EVENTS=udpin://0.0.0.0:14548 PX4_EVENTS_SYSID=9 npx vitest run
 * test/mavlink/events-px4.test.ts`. Wall clock. Skipped, with that reason, otherwise.
 *
 * Checks: COMPONENT_METADATA → general metadata (.json.xz) → all_events.json.xz over MAVLink FTP,
 * CRC as announced; an arming refusal in Position mode (no manual control input) explained in PX4's words.
 */
import { describe, expect, it } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { CommandProtocol } from '../../hardware/real/mavlink/command-protocol.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { VehicleEvent } from '../../hardware/vehicle.port.js';
import { createEventsClient } from '../../hardware/real/mavlink/events/events-client.js';
import { openLink } from '../../hardware/real/mavlink/link.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';

const URL_ = process.env.PX4_EVENTS;
const SYSID = Number(process.env.PX4_EVENTS_SYSID ?? 1);

describe.skipIf(!URL_)('events client ← real PX4 SITL (PX4_EVENTS unset: skipped)', () => {
  it('fetches the events metadata over FTP and explains a refused mode switch', { timeout: 60_000 }, async () => {
    const clock = new WallClock();
    const opened = await openLink(URL_!, { clock });
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    const session = new MavSession({ link, clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, targetSystem: SYSID, speedFactor: 1 });
    // Wait for the first heartbeat (PX4 learns our address from our first message).
    await new Promise<void>((resolve) => {
      const off = session.on(0, () => { off(); resolve(); });
    });
    session.linkUp = true;
    const commands = new CommandProtocol(session);
    const events = createEventsClient({ session, logger: silentLogger, commands, ftp: { timeoutMs: 500 } });
    try {
      const t0 = performance.now();
      const meta = await events.loadMetadata();
      const ms = performance.now() - t0;
      expect(meta.ok, meta.ok ? '' : `${meta.error.code}: ${meta.error.message}`).toBe(true);
      if (!meta.ok) return;
      expect(meta.value.generalUri).toBe('mftp://etc/extras/component_general.json.xz');
      expect(meta.value.eventsUri).toBe('mftp://etc/extras/all_events.json.xz');
      expect(meta.value.crcOk).toBe(true);
      expect(meta.value.metadata.eventCount).toBeGreaterThan(300);
      console.log(`PX4 events metadata: ${meta.value.metadata.eventCount} events in ${ms.toFixed(0)} ms wall`);
      // Sequence tracking starts with CURRENT_EVENT_SEQUENCE (every 3 s).
      const until = Date.now() + 5000;
      while (!events.stats.tracking && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(events.stats.tracking).toBe(true);
      // Disarmed, PX4 accepts any mode (can_run matters when armed); in Position mode without
      // manual control input (no RC/joystick in SITL) arming is refused with the failing checks.
      const m = await commands.send({ command: 176, params: [1, 3, 0, 0, 0, 0, 0] });
      expect(m.ok).toBe(true);
      await new Promise((r) => setTimeout(r, 1500)); // a fresh arming-check report for the mode
      const since = events.cursor();
      const r = await commands.send({ command: 400, params: [1, 0, 0, 0, 0, 0, 0] });
      expect(!r.ok && r.error.context?.result).toBe('TEMPORARILY_REJECTED');
      const why = await events.refusalReason(since, 2000);
      console.log(`PX4 says: ${why}`);
      console.log(`health report: ${JSON.stringify(events.healthReport()?.checks.map((c) => [c.name, c.text, c.severity]))}`);
      expect(why).toMatch(/^Arming denied: Resolve system health failures first: .*manual control/i);
      // Back to Hold so the instance is as it was.
      await commands.send({ command: 176, params: [1, 4, 3, 0, 0, 0, 0] });
    } finally {
      events.dispose();
      commands.dispose();
      session.close();
      await link.close();
    }
  });

  it('through the adapter, armed: a refused switch to Mission (no mission) fails with PX4\'s words', { timeout: 90_000 }, async () => {
    const clock = new WallClock();
    const port = createMavlinkVehiclePort({ id: 'px4', url: URL_!, clock, targetSystem: SYSID });
    const events: VehicleEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    try {
      expect((await port.connect()).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 4000)); // metadata over FTP, CURRENT_EVENT_SEQUENCE
      expect((await port.clearMission()).ok).toBe(true);
      expect((await port.hold()).ok).toBe(true);
      const armed = await port.arm();
      expect(armed.ok, armed.ok ? '' : armed.error.message).toBe(true);
      const r = await port.command({ command: 176, params: [1, 4, 4, 0, 0, 0, 0] });
      console.log(`adapter error: ${r.ok ? 'none' : r.error.message}`);
      // PX4 v1.15.4 SIH, no RC: also "No manual control input" (a warning-level check on Mission).
      expect(!r.ok && r.error.message).toMatch(/^MAV_CMD_DO_SET_MODE: TEMPORARILY_REJECTED; vehicle says: "Switching to mode 'Mission' is currently not possible: No valid mission available/);
      expect(events.some((e) => e.type === 'vehicle.event' && e.name === 'commander_modeswitch_not_avail')).toBe(true);
    } finally {
      await port.disarm();
      await port.dispose();
    }
  });
});
