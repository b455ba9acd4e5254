// Login against the API (OAuth2 password flow) and what the page reads from the JWT.
// The role claim only decides which buttons are shown: the bridge and the API check it again.

const STORAGE_KEY = 'overwatch.session';

/** Decodes a JWT's payload without verifying it (the servers verify; we only read claims). */
export function jwtPayload(token) {
  try {
    const part = String(token).split('.')[1];
    if (!part) return null;
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const payload = JSON.parse(json);
    return payload && typeof payload === 'object' ? payload : null;
  } catch {
    return null;
  }
}

/** The role from the usual claim spellings (`role`, `roles[]`, `scope`), defaulting to viewer. */
export function roleOf(payload) {
  const known = ['admin', 'operator', 'viewer'];
  const candidates = [];
  if (typeof payload?.role === 'string') candidates.push(payload.role);
  if (Array.isArray(payload?.roles)) candidates.push(...payload.roles.filter((r) => typeof r === 'string'));
  if (typeof payload?.scope === 'string') candidates.push(...payload.scope.split(/\s+/));
  for (const r of known) if (candidates.includes(r)) return r;
  return 'viewer';
}

export const canCommand = (role) => role === 'operator' || role === 'admin';

/** `{token, user, role, exp_ms}` from an access token, or null if it is unreadable or expired. */
export function sessionFromToken(token, now_ms = Date.now()) {
  const p = jwtPayload(token);
  if (!p) return null;
  const exp_ms = typeof p.exp === 'number' ? p.exp * 1000 : Infinity;
  if (exp_ms <= now_ms) return null;
  const user = typeof p.sub === 'string' ? p.sub : typeof p.username === 'string' ? p.username : 'user';
  return { token, user, role: roleOf(p), exp_ms };
}

/** POST /token; resolves with a session or throws an Error whose message is fit to show. */
export async function login(apiBase, username, password) {
  const body = new URLSearchParams({ grant_type: 'password', username, password });
  let res;
  try {
    res = await fetch(`${apiBase}/token`, { method: 'POST', body, headers: { Accept: 'application/json' } });
  } catch {
    throw new Error('cannot reach the server');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // an error page that is not JSON: the status says enough
  }
  if (!res.ok) {
    // Our API: {error: {code, message}}; OAuth2 servers: {error, error_description}.
    const e = data?.error;
    const detail = typeof e === 'object' && e !== null ? e.message : (data?.error_description ?? e);
    const refused = res.status === 400 || res.status === 401 || res.status === 422;
    throw new Error(refused ? `login refused${typeof detail === 'string' ? `: ${detail}` : ''}` : `login failed (HTTP ${res.status})`);
  }
  const session = sessionFromToken(data?.access_token);
  if (!session) throw new Error('the server answered without a usable token');
  return session;
}

export function saveSession(session) {
  try {
    sessionStorage.setItem(STORAGE_KEY, session.token);
  } catch {
    // storage disabled: the user logs in again on reload
  }
}

export function loadSession() {
  try {
    const token = sessionStorage.getItem(STORAGE_KEY);
    return token ? sessionFromToken(token) : null;
  } catch {
    return null;
  }
}

export function clearSession() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}
