export { MavlinkParser, MavlinkEncoder, decode, mavCrc, REGISTRY, type MavFrame, type ParserStats } from './codec.js';
export { PX4_MAIN, PX4_AUTO_SUB, PX4_MODE_FOR, packPx4Mode, unpackPx4Mode, px4ModeToFlightMode, type Px4Mode } from './px4-modes.js';
