/** What every route module receives. */
import type { Twin } from '../../actors/twin.js';
import type { Store } from '../../storage/store.js';
import type { Auth } from '../auth/index.js';

export interface RouteDeps {
  readonly twin: Twin;
  readonly store: Store;
  readonly auth: Auth;
  /** Link state per vehicle, from the event log (`port.link`). */
  readonly linkUp: ReadonlyMap<string, boolean>;
}

/** OpenAPI: the bearer scheme every protected route names. */
export const bearer = [{ bearer: [] }];
export const idParam = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
