/**
 * The events metadata the built-in SITL publishes (libevents format, component 1, namespace
 * `px4`), and the general component metadata pointing at it.
 *
 * @remarks
 * The PX4 events it sends keep PX4's names, ids (FNV-1a of the name, as PX4's `events::ID`),
 * arguments and messages (from PX4 v1.15 Commander): the arming-check and health summaries,
 * `check_modes_mission`, `check_modes_global_pos` and `commander_modeswitch_not_avail`, and
 * the enum entries they use (a subset of PX4's). Refusals PX4 has no event for (the simulator
 * refuses things PX4 would accept, e.g. a takeoff while disarmed) use one SITL-only event,
 * `sitl_command_denied`, whose reason is an enum. Served as `.json.xz` at PX4's URIs (stored,
 * not compressed: `events-xz.ts`).
 */
import { px4EventId, type EventsMetadataJson } from '../../real/mavlink/events/events-metadata.js';

/** Where the SITL's files are: PX4's URIs (xz-compressed files, see `events-xz.ts`). */
export const GENERAL_METADATA_URI = 'mftp://etc/extras/component_general.json.xz';
export const EVENTS_METADATA_URI = 'mftp://etc/extras/all_events.json.xz';

/** PX4 navigation_mode_t values the SITL reports. */
export const NAV_MODE = { auto_mission: 3, auto_loiter: 4, auto_rtl: 5, auto_takeoff: 10, auto_land: 11, posctl: 2, offboard: 7, unknown: 255 } as const;

/** Bit index of a health component in PX4's health_component_t. */
export const HEALTH_BIT = { none: 0, gps: 3, global_position_estimate: 24, mission: 18, battery: 11, system: 20, motors_escs: 8 } as const;

/** navigation_mode_group_t bit index per PX4 nav state (group == nav state). */
export const MODE_GROUP = { posctl: 2, mission: 3, loiter: 4, rtl: 5, takeoff: 17, land: 18 } as const;

/** sitl_denial_t: why the simulator refused. */
export const DENIAL = {
  other: 0, not_armed: 1, not_landed: 2, already_flying: 3, no_position: 4, battery_low: 5, crashed: 6, falling: 7,
  altitude_out_of_range: 8, invalid_position: 9, landed: 10, no_mission: 11, no_manual_control: 12, no_offboard: 13,
} as const;

const DENIAL_TEXT: Record<keyof typeof DENIAL, string> = {
  other: 'refused', not_armed: 'not armed', not_landed: 'not landed', already_flying: 'already flying',
  no_position: 'no position estimate', battery_low: 'battery too low', crashed: 'vehicle crashed',
  falling: 'no propulsion (falling)', altitude_out_of_range: 'altitude out of range', invalid_position: 'invalid position',
  landed: 'landed', no_mission: 'no valid mission', no_manual_control: 'no manual control input', no_offboard: 'no offboard signal',
};

/** sitl_command_t: MAV_CMD ids of the commands the SITL may refuse. */
const COMMANDS: Record<number, string> = {
  20: 'Return to launch', 21: 'Land', 22: 'Takeoff', 176: 'Mode change', 192: 'Reposition', 300: 'Mission start', 400: 'Arming',
};

const sub = (name: string) => String(px4EventId(name) & 0xffffff);
const MODE_GROUP_ARGS = [{ name: 'modes', type: 'navigation_mode_group_t' }, { name: 'health_component_index', type: 'uint8_t' }];

export const SITL_EVENTS_METADATA: EventsMetadataJson = {
  version: 2,
  components: {
    '1': {
      namespace: 'px4',
      supported_protocols: ['health_and_arming_check'],
      navigation_mode_groups: {
        // group index → PX4 custom modes (main << 16 | sub << 24), as PX4 publishes them.
        groups: {
          '2': [0x00030000], '3': [0x04040000], '4': [0x03040000], '5': [0x05040000], '17': [0x02040000], '18': [0x06040000],
        },
      },
      enums: {
        navigation_mode_group_t: {
          type: 'uint32_t', is_bitfield: true, description: 'Navigation/flight mode group bits',
          entries: {
            [String(1 << MODE_GROUP.posctl)]: { name: 'posctl', description: 'Position mode' },
            [String(1 << MODE_GROUP.mission)]: { name: 'mission', description: 'Mission mode' },
            [String(1 << MODE_GROUP.loiter)]: { name: 'loiter', description: 'Loiter' },
            [String(1 << MODE_GROUP.rtl)]: { name: 'rtl', description: 'RTL' },
            [String(1 << MODE_GROUP.takeoff)]: { name: 'takeoff', description: 'Takeoff' },
            [String(1 << MODE_GROUP.land)]: { name: 'land', description: 'Land' },
          },
        },
        health_component_t: {
          type: 'uint32_t', is_bitfield: true, description: 'Bitfield for subsystems & components',
          entries: {
            '1': { name: 'none', description: 'None' },
            [String(1 << HEALTH_BIT.gps)]: { name: 'gps', description: 'GPS' },
            [String(1 << HEALTH_BIT.motors_escs)]: { name: 'motors_escs', description: 'Motors/ESCs' },
            [String(1 << HEALTH_BIT.battery)]: { name: 'battery', description: 'Battery' },
            [String(1 << HEALTH_BIT.mission)]: { name: 'mission', description: 'Mission' },
            [String(1 << HEALTH_BIT.system)]: { name: 'system', description: 'System' },
            [String(1 << HEALTH_BIT.global_position_estimate)]: { name: 'global_position_estimate', description: 'Global position estimate' },
          },
        },
        navigation_mode_t: {
          type: 'uint8_t', description: 'Flight mode',
          entries: {
            '2': { name: 'posctl', description: 'Position' }, '3': { name: 'auto_mission', description: 'Mission' },
            '4': { name: 'auto_loiter', description: 'Hold' }, '5': { name: 'auto_rtl', description: 'Return' },
            '7': { name: 'offboard', description: 'Offboard' }, '10': { name: 'auto_takeoff', description: 'Takeoff' },
            '11': { name: 'auto_land', description: 'Land' }, '255': { name: 'unknown', description: '[Unknown]' },
          },
        },
        sitl_command_t: {
          type: 'uint16_t', description: 'Commands the SITL may refuse',
          entries: Object.fromEntries(Object.entries(COMMANDS).map(([k, v]) => [k, { name: v.toLowerCase().replace(/ /g, '_'), description: v }])),
        },
        sitl_denial_t: {
          type: 'uint8_t', description: 'Why the simulator refused a command',
          entries: Object.fromEntries(Object.entries(DENIAL).map(([k, v]) => [String(v), { name: k, description: DENIAL_TEXT[k as keyof typeof DENIAL] }])),
        },
      },
      event_groups: {
        arming_check: {
          events: {
            [sub('commander_arming_check_summary')]: {
              name: 'commander_arming_check_summary', type: 'summary', message: 'Arming check summary event',
              arguments: [
                { name: 'chunk_idx', type: 'uint8_t' }, { name: 'error', type: 'px4::health_component_t' },
                { name: 'warning', type: 'px4::health_component_t' }, { name: 'can_arm', type: 'px4::navigation_mode_group_t' },
                { name: 'can_run', type: 'px4::navigation_mode_group_t' },
              ],
            },
            [sub('check_modes_mission')]: { name: 'check_modes_mission', message: 'No valid mission available', description: 'Upload a mission first.', arguments: MODE_GROUP_ARGS },
            [sub('check_modes_global_pos')]: { name: 'check_modes_global_pos', message: 'No valid global position estimate', arguments: MODE_GROUP_ARGS },
          },
        },
        health: {
          events: {
            [sub('commander_health_summary')]: {
              name: 'commander_health_summary', type: 'summary', message: 'Health report summary event',
              arguments: [
                { name: 'chunk_idx', type: 'uint8_t' }, { name: 'is_present', type: 'px4::health_component_t' },
                { name: 'error', type: 'px4::health_component_t' }, { name: 'warning', type: 'px4::health_component_t' },
              ],
            },
          },
        },
        default: {
          events: {
            [sub('commander_modeswitch_not_avail')]: {
              name: 'commander_modeswitch_not_avail', type: 'append_health_and_arming_messages',
              message: "Switching to mode '{2}' is currently not possible",
              arguments: [{ name: 'arg0', type: 'uint32_t' }, { name: 'arg1', type: 'px4::navigation_mode_t' }],
            },
            [sub('sitl_command_denied')]: {
              name: 'sitl_command_denied', message: '{1} denied: {2}',
              description: 'The simulator refused the command (PX4 may accept it).',
              arguments: [{ name: 'command', type: 'sitl_command_t' }, { name: 'reason', type: 'sitl_denial_t' }],
            },
          },
        },
      },
    },
  },
};

/** Classifies a simulator refusal message (`hardware/sim/commands.ts`) into a denial reason. */
export function denialOf(text: string, code?: string): keyof typeof DENIAL {
  const t = text.toLowerCase();
  if (code === 'MISSION.NONE_LOADED' || t.includes('no mission') || t.includes('no valid mission')) return 'no_mission';
  if (t.includes('not armed')) return 'not_armed';
  if (t.includes('not landed')) return 'not_landed';
  if (t.includes('already flying')) return 'already_flying';
  if (t.includes('position estimate') || t.includes('gps')) return 'no_position';
  if (t.includes('battery')) return 'battery_low';
  if (t.includes('crashed')) return 'crashed';
  if (t.includes('falling')) return 'falling';
  if (t.includes('altitude')) return 'altitude_out_of_range';
  if (t.includes('invalid position')) return 'invalid_position';
  if (t.includes('landed')) return 'landed';
  if (t.includes('manual control')) return 'no_manual_control';
  if (t.includes('offboard')) return 'no_offboard';
  return 'other';
}

/** The general metadata file: where the events metadata is, with the MAVLink CRC32 of that (.xz) file. */
export function generalMetadata(eventsFileCrc: number): string {
  return JSON.stringify({ version: 1, metadataTypes: [{ type: 4, uri: EVENTS_METADATA_URI, fileCrc: eventsFileCrc }] });
}
