/** What every route module receives. */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Twin } from '../../actors/twin.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../storage/store.js';
import type { Auth } from '../auth/index.js';

export interface RouteDeps {
  readonly twin: Twin;
  readonly store: Store;
  readonly auth: Auth;
  /** Link state per vehicle, from the event log (`port.link`). */
  readonly linkUp: ReadonlyMap<string, boolean>;
  /** Security events (failed or limited logins, revocations), logged at warn. */
  readonly security: Logger;
}

/** The Fastify instance routes are declared on: zod schemas through the type provider. */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** OpenAPI: the bearer scheme every protected route names. */
export const bearer = [{ bearer: [] }];
