// A small rosbridge v2 client over the browser's WebSocket: auth, subscribe, call_service,
// reconnect. Speaking the JSON protocol directly keeps the page free of roslib and of any build.

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5_000;
const CALL_TIMEOUT_MS = 15_000;
/** Close codes a server uses to refuse a client: reconnecting with the same token is pointless. */
const AUTH_CLOSE_CODES = new Set([1008, 4001, 4003, 4401, 4403]);
/** The id of our auth op: the bridge answers a refused token with an error status carrying it. */
const AUTH_ID = 'dashboard-auth';

export class RosbridgeClient {
  /**
   * @param {string} url  ws:// or wss:// URL of the bridge
   * @param {string} token  the JWT from POST /token, sent as the first message
   * @param {{ onStatus?: (s: {state: string, detail?: string}) => void,
   *           onMessage?: (topic: string, msg: unknown) => void,
   *           onAuthFailed?: (reason: string) => void }} handlers
   */
  constructor(url, token, handlers = {}) {
    this.url = url;
    this.token = token;
    this.handlers = handlers;
    /** topic → subscribe options; replayed on every (re)connection. */
    this.subscriptions = new Map();
    this.pending = new Map();
    this.nextId = 1;
    this.backoff = RECONNECT_MIN_MS;
    this.ws = null;
    this.timer = null;
    this.closed = false;
  }

  connect() {
    if (this.closed) return;
    this.status('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this.status('disconnected', String(error));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = RECONNECT_MIN_MS;
      // Ops on one socket are handled in order, so the subscriptions after auth are authorised.
      this.sendRaw({ op: 'auth', id: AUTH_ID, token: this.token });
      for (const [topic, opts] of this.subscriptions) this.sendRaw({ op: 'subscribe', id: `sub:${topic}`, topic, ...opts });
      this.status('connected');
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending('bridge connection closed');
      if (this.closed) return;
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        this.closed = true;
        this.status('refused', ev.reason || `closed with code ${ev.code}`);
        this.handlers.onAuthFailed?.(ev.reason || 'the bridge refused the token');
        return;
      }
      this.status('disconnected', ev.reason || `code ${ev.code}`);
      this.scheduleReconnect();
    };
    // An error is always followed by close; reconnecting happens there.
    ws.onerror = () => {};
  }

  /** Stops for good (logout, page teardown). */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.failPending('client closed');
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'bye');
    this.status('closed');
  }

  /** Subscribes now if connected, and after every reconnection. */
  subscribe(topic, opts = {}) {
    this.subscriptions.set(topic, opts);
    if (this.isOpen()) this.sendRaw({ op: 'subscribe', id: `sub:${topic}`, topic, ...opts });
  }

  /** Stops a subscription (and does not renew it after a reconnection). */
  unsubscribe(topic) {
    if (!this.subscriptions.delete(topic)) return;
    if (this.isOpen()) this.sendRaw({ op: 'unsubscribe', id: `sub:${topic}`, topic });
  }

  /**
   * Calls a service; resolves with `{result, values}` (rosbridge's `service_response`). Rejects
   * only when the call could not be made (not connected, timeout, socket lost).
   */
  callService(service, args = {}, timeout_ms = CALL_TIMEOUT_MS) {
    if (!this.isOpen()) return Promise.reject(new Error('not connected to the bridge'));
    const id = `call:${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${service}: no answer within ${timeout_ms / 1000} s`));
      }, timeout_ms);
      this.pending.set(id, { resolve, reject, timer });
      this.sendRaw({ op: 'call_service', id, service, args });
    });
  }

  isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  // --- internals ---

  status(state, detail) {
    try {
      this.handlers.onStatus?.({ state, detail });
    } catch (error) {
      console.error('status handler', error);
    }
  }

  sendRaw(op) {
    try {
      this.ws?.send(JSON.stringify(op));
    } catch (error) {
      console.warn('send failed', error);
    }
  }

  scheduleReconnect() {
    clearTimeout(this.timer);
    const delay = this.backoff;
    this.backoff = Math.min(RECONNECT_MAX_MS, this.backoff * 2);
    this.status('disconnected', `retrying in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  failPending(reason) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  onFrame(data) {
    if (typeof data !== 'string') return; // we never ask for CBOR
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    if (m === null || typeof m !== 'object') return;
    try {
      if (m.op === 'publish' && typeof m.topic === 'string') this.handlers.onMessage?.(m.topic, m.msg);
      else if (m.op === 'service_response') this.onServiceResponse(m);
      else if (m.op === 'status' && m.level === 'error') this.onErrorStatus(m);
    } catch (error) {
      // A handler bug must not kill the socket's message loop.
      console.error('message handler', error);
    }
  }

  onErrorStatus(m) {
    const text = typeof m.msg === 'string' ? m.msg : 'error';
    if (m.id === AUTH_ID || /UNAUTHENTICATED/.test(text)) {
      // The token was refused (expired, revoked, wrong key): retrying with it cannot help.
      this.closed = true;
      clearTimeout(this.timer);
      const ws = this.ws;
      this.ws = null;
      this.failPending('not authenticated');
      ws?.close(1000, 'auth refused');
      this.status('refused', text);
      this.handlers.onAuthFailed?.(text);
      return;
    }
    console.warn('bridge:', text);
  }

  onServiceResponse(m) {
    const id = m.id === undefined ? undefined : String(m.id);
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve({ result: m.result === true, values: m.values });
  }
}
