/**
 * The simulated SLAM flight used by the SLAM tests (path, worlds, the simulated Ouster's scans and
 * the truth): it lives in hardware/sim/sensors/slam-sim-flight.ts, shared with bench/slam*.
 */
export { cityWorld, estimateFlight, FLAT_WORLD, flightMetrics, flyOuster, pathLength, WEAVE, type FlightPath, type FlightRun } from '../../hardware/sim/sensors/slam-sim-flight.js';
