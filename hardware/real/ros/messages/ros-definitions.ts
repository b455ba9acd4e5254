/**
 * Message and service definitions for the types the twin speaks, in both ROS spellings: what a
 * transport needs to serialise (the definition closure), to handshake (ROS 1 md5sum and the
 * `message_definition` text of TCPROS) and to declare a type on ROS 2.
 *
 * @remarks
 * Common types come from @foxglove/rosmsg-msgs-common (the ROS 1 Noetic set, which Debian's
 * ros-*-msgs packages match md5 for md5, and the ROS 2 Humble and Jazzy sets); the twin's own
 * (`overwatch_msgs/*`) and the std_srvs services are parsed here from their .msg/.srv text with
 * @foxglove/rosmsg. Pure: no I/O.
 */
import { md5, parse, stringify } from '@foxglove/rosmsg';
import { ros1, ros2humble, ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import { fail, ok, type Result } from '../../../../core/result.js';
import type { RosDialect } from './ros-dialect.js';

/** A parsed message definition (@foxglove/message-definition's type, as @foxglove/rosmsg returns it). */
export type MessageDefinition = ReturnType<typeof parse>[number];

/** ROS 2 distributions whose definitions are bundled. */
export type Ros2Distro = 'humble' | 'jazzy';

/** A service's request and response, in .srv text halves (ROS 1 spelling). */
export interface ServiceText {
  readonly request: string;
  readonly response: string;
}

/**
 * The twin's service types. `overwatch_msgs/LoadMission`: `mission_json` is the mission as JSON
 * (the REST API's mission body, `vehicle` inside), or `plan_path` a mission file (JSON or YAML) on
 * the twin's machine; answered like std_srvs/Trigger.
 */
export const SERVICE_TEXT: Readonly<Record<string, ServiceText>> = {
  'std_srvs/Trigger': { request: '', response: 'bool success\nstring message\n' },
  'std_srvs/Empty': { request: '', response: '' },
  'overwatch_msgs/LoadMission': { request: 'string mission_json\nstring plan_path\n', response: 'bool success\nstring message\n' },
};

/** The twin's own message types (ROS 1 text; ROS 2 uses the same fields). */
export const MESSAGE_TEXT: Readonly<Record<string, string>> = {
  'overwatch_msgs/VehicleState':
    'std_msgs/Header header\nstring vehicle\nstring mode\nbool armed\nbool link\nstring landed\nstring state\n' +
    '================================================================================\nMSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n',
};

type Dict = Readonly<Record<string, MessageDefinition>>;

const custom = new Map<string, Dict>();
/** Definitions parsed from .msg text, keyed by type (the root's name given by us). */
function parsedDict(name: string, text: string, dialect: RosDialect): Dict {
  const key = `${dialect}:${name}`;
  const hit = custom.get(key);
  if (hit) return hit;
  const defs = parse(dialect === 'ros2' ? text.replace(/^uint32 seq\n/m, '') : text, dialect === 'ros2' ? { ros2: true } : {});
  const out: Record<string, MessageDefinition> = {};
  defs.forEach((d, i) => {
    const n = i === 0 ? name : (d.name ?? '');
    out[n] = { ...d, name: n };
  });
  custom.set(key, out);
  return out;
}

function baseDict(dialect: RosDialect, distro: Ros2Distro): Dict {
  if (dialect === 'ros1') return ros1 as unknown as Dict;
  return (distro === 'jazzy' ? ros2jazzy : ros2humble) as unknown as Dict;
}

/** `geometry_msgs/msg/Pose` → `geometry_msgs/Pose` (the keys of the bundled sets). */
export const shortTypeName = (type: string): string => type.replace(/\/(msg|srv)\//, '/');

/**
 * The definition closure of `type`: its own definition first, then every nested type once (the
 * order @foxglove's readers and writers expect). `ROS.UNKNOWN_TYPE` for a type not bundled.
 */
export function messageDefinitions(type: string, dialect: RosDialect, distro: Ros2Distro = 'humble'): Result<MessageDefinition[], 'ROS.UNKNOWN_TYPE'> {
  const name = shortTypeName(type);
  const base = baseDict(dialect, distro);
  const extra = MESSAGE_TEXT[name] !== undefined ? parsedDict(name, MESSAGE_TEXT[name]!, dialect) : undefined;
  const lookup = (n: string): MessageDefinition | undefined => extra?.[n] ?? base[n];
  if (!lookup(name)) return fail('ROS.UNKNOWN_TYPE', `no definition bundled for ${type}`);
  const out: MessageDefinition[] = [];
  const seen = new Set<string>();
  const visit = (n: string): string | undefined => {
    if (seen.has(n)) return undefined;
    const d = lookup(n);
    if (!d) return n;
    seen.add(n);
    out.push(d);
    for (const f of d.definitions) if (f.isComplex) {
      const missing = visit(f.type);
      if (missing) return missing;
    }
    return undefined;
  };
  const missing = visit(name);
  if (missing) return fail('ROS.UNKNOWN_TYPE', `no definition bundled for ${missing} (used by ${type})`);
  return ok(out);
}

/** The definition closure of one half of a service (`request` or `response`). */
export function serviceDefinitions(type: string, half: 'request' | 'response', dialect: RosDialect): Result<MessageDefinition[], 'ROS.UNKNOWN_TYPE'> {
  const name = shortTypeName(type);
  const text = SERVICE_TEXT[name];
  if (!text) return fail('ROS.UNKNOWN_TYPE', `no service definition bundled for ${type}`);
  const root = `${name}${half === 'request' ? 'Request' : 'Response'}`;
  const defs = parse(text[half], dialect === 'ros2' ? { ros2: true } : {});
  const head = defs[0] ?? { definitions: [] };
  return ok([{ ...head, name: root }, ...defs.slice(1)]);
}

/** ROS 1 md5sum of a message type, as `rosmsg md5` prints it. */
export function ros1Md5(type: string): Result<string, 'ROS.UNKNOWN_TYPE'> {
  const d = messageDefinitions(type, 'ros1');
  return d.ok ? ok(md5(d.value)) : d;
}

/** The full ROS 1 definition text (TCPROS `message_definition`, `gendeps --cat` style). */
export function ros1DefinitionText(type: string): Result<string, 'ROS.UNKNOWN_TYPE'> {
  const d = messageDefinitions(type, 'ros1');
  return d.ok ? ok(stringify(d.value)) : d;
}

/** The .srv text of a service type (`request---response`), as ROS 1 tools and transports take it. */
export function srvText(type: string): Result<string, 'ROS.UNKNOWN_TYPE'> {
  const t = SERVICE_TEXT[shortTypeName(type)];
  return t ? ok(`${t.request}---\n${t.response}`) : fail('ROS.UNKNOWN_TYPE', `no service definition bundled for ${type}`);
}
