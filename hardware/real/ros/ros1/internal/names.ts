/**
 * ROS graph names (http://wiki.ros.org/Names): validation and resolution against a namespace
 * and a node name. Pure.
 */
import { fail, ok } from '../../../../../core/result.js';
import type { Ros1Result } from '../ros1-node.types.js';

const NAME = /^[~/]?([A-Za-z][A-Za-z0-9_]*)(\/[A-Za-z][A-Za-z0-9_]*)*$/;
const NAMESPACE = /^\/([A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)*)?\/?$/;

/** Normalises a namespace to `/` or `/a/b` (no trailing slash). */
export function normalizeNamespace(ns: string | undefined): Ros1Result<string> {
  const raw = ns === undefined || ns === '' ? '/' : ns.startsWith('/') ? ns : `/${ns}`;
  if (!NAMESPACE.test(raw)) return fail('ROS1.BAD_NAME', `not a legal ROS namespace: ${JSON.stringify(ns)}`);
  return ok(raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw);
}

/**
 * Resolves `name` (absolute `/a`, private `~a`, or relative `a`) to an absolute graph name.
 * @param namespace normalised namespace (`/` or `/a/b`)
 * @param nodeName the resolved node name, for private names
 */
export function resolveName(name: string, namespace: string, nodeName: string): Ros1Result<string> {
  if (typeof name !== 'string' || !NAME.test(name)) {
    return fail('ROS1.BAD_NAME', `not a legal ROS graph name: ${JSON.stringify(name)}`);
  }
  if (name.startsWith('/')) return ok(name);
  if (name.startsWith('~')) return ok(`${nodeName}/${name.slice(1)}`);
  return ok(namespace === '/' ? `/${name}` : `${namespace}/${name}`);
}
