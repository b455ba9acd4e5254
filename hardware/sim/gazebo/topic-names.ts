/**
 * Gazebo transport names: partitions, topics and their fully qualified form `@/partition@/topic`,
 * as gz-transport's `TopicUtils::FullyQualifiedName` builds them (ign-transport11 src/TopicUtils.cc).
 */
import { hostname, userInfo } from 'node:os';
import { fail, ok, type Result } from '../../../core/result.js';

/** Longest fully qualified name (`TopicUtils::kMaxNameLength`). */
export const GZ_MAX_NAME_LENGTH = 65535;

/** A namespace/partition/topic part is valid unless it has `~`, a space, `//`, `@` or `:=`, or is `/`. */
export function isValidNamespace(ns: string): boolean {
  if (ns === '') return true;
  if (ns.length > GZ_MAX_NAME_LENGTH || ns === '/') return false;
  return !/[~ @]|\/\/|:=/.test(ns);
}

export const isValidTopic = (topic: string): boolean => topic !== '' && isValidNamespace(topic);

/**
 * `@/partition@/ns/topic`. An absolute topic (leading `/`) ignores the namespace. `GZ.INVALID_TOPIC`
 * when a part is invalid.
 */
export function fullyQualifiedName(partition: string, topic: string, ns = ''): Result<string, 'GZ.INVALID_TOPIC'> {
  if (!isValidNamespace(partition) || !isValidNamespace(ns) || !isValidTopic(topic)) {
    return fail('GZ.INVALID_TOPIC', `invalid name: partition '${partition}', namespace '${ns}', topic '${topic}'`);
  }
  let p = partition;
  if (p !== '' && !p.startsWith('/')) p = `/${p}`;
  if (p.endsWith('/')) p = p.slice(0, -1);
  let n = ns;
  if (!n.endsWith('/')) n = `${n}/`;
  if (!n.startsWith('/')) n = `/${n}`;
  let t = topic;
  if (t.endsWith('/')) t = t.slice(0, -1);
  const name = `@${p}@${t.startsWith('/') ? t : n + t}`;
  if (name.length > GZ_MAX_NAME_LENGTH) return fail('GZ.INVALID_TOPIC', `name longer than ${GZ_MAX_NAME_LENGTH}`);
  return ok(name);
}

/** Splits `@/partition@/topic` into `{ partition: '/partition', topic: '/topic' }`; undefined when not of that form. */
export function decomposeName(fq: string): { partition: string; topic: string } | undefined {
  const m = /^@([^@]*)@(.+)$/.exec(fq);
  return m ? { partition: m[1]!, topic: m[2]! } : undefined;
}

/**
 * The partition a process uses: `IGN_PARTITION` (transport 11), else `GZ_PARTITION` (Garden+),
 * else Gazebo's default `hostname:username`.
 */
export function partitionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const ign = env.IGN_PARTITION;
  if (ign !== undefined) return ign;
  const gz = env.GZ_PARTITION;
  if (gz !== undefined) return gz;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: keep 'unknown' */
  }
  return `${hostname()}:${user}`;
}
