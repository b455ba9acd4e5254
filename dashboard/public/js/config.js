// The page's configuration, served by the host as /config.json (see dashboard/index.ts).
// Without a token it says where the API and the bridge are; with the session's token it also
// carries the vehicles, planned paths and the geofence.

/** Thrown by loadConfig when the server refuses the token (401): the session is over. */
export class ConfigRefused extends Error {}

/**
 * Fetches config.json (with `token` as a bearer, when given); an absent or broken one means
 * defaults, never a dead page. A refused token throws {@link ConfigRefused}.
 */
export async function loadConfig(token) {
  let res;
  try {
    res = await fetch('config.json', { cache: 'no-store', headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    return {};
  }
  if (res.status === 401) {
    let detail = '';
    try {
      detail = (await res.json())?.error?.message ?? '';
    } catch {
      // not JSON
    }
    throw new ConfigRefused(detail || 'token refused');
  }
  try {
    if (res.ok) {
      const c = await res.json();
      if (c && typeof c === 'object' && !Array.isArray(c)) return c;
    }
  } catch {
    // no config: defaults
  }
  return {};
}

/**
 * The bridge's WebSocket URL: `bridgeUrl` if absolute (ws:// or wss://); a path (`/ws`) means this
 * host and port (a proxy in front); absent means this host name on `bridgePort` (default 9090).
 */
export function bridgeUrl(c, loc) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const u = typeof c.bridgeUrl === 'string' ? c.bridgeUrl.trim() : '';
  if (/^wss?:\/\//i.test(u)) return u;
  if (u.startsWith('/')) return `${scheme}//${loc.host}${u}`;
  const port = Number.isInteger(c.bridgePort) ? c.bridgePort : 9090;
  const host = loc.hostname.includes(':') ? `[${loc.hostname}]` : loc.hostname;
  return `${scheme}//${host}:${port}/`;
}

/** Where POST /token and GET /vehicles live: `apiBase` (no trailing slash) or this origin. */
export const apiBase = (c) => (typeof c.apiBase === 'string' ? c.apiBase.replace(/\/+$/, '') : '');
