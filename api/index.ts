/**
 * The REST API gateway: `createApiServer` (routes over a twin and a store) and
 * `startApiServices` (store + auth + metrics + event-log persistence + server, composed).
 */
export { createApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { startApiServices, type ApiServices, type ApiServicesOptions } from './services.js';
export * from './auth/index.js';
