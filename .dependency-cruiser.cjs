/**
 * Layering, checked rather than agreed (STYLE §12). `npm run lint:layers`.
 *  core/      shared kernel: depends on nothing of ours
 *  machines/  pure statecharts: core only, no node:*, no I/O libraries
 *  hardware/  ports and adapters: core only (never the runtime, services or CLI)
 *  actors/    the runtime: core, machines, hardware
 *  cli/       everything
 */
module.exports = {
  forbidden: [
    {
      name: 'hpc-service-boundary',
      comment: 'the HPC gRPC service and its BullMQ workers use the point-cloud library and core only; the runtime never imports hpc/',
      severity: 'error',
      from: { path: '^hpc/' },
      to: { path: '^(machines|actors|hardware|cli|api|storage|metrics|bridge|dashboard|recording|testing)/' },
    },
    {
      name: 'runtime-not-hpc',
      severity: 'error',
      from: { path: '^(actors|machines|hardware|core)/' },
      to: { path: '^hpc/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'machines-are-pure',
      comment: 'machines/ import only core/ and xstate: no ports, sockets, files, timers or node builtins',
      severity: 'error',
      from: { path: '^machines/' },
      to: { pathNot: '^(machines|core)/|node_modules/(xstate|zod)/' },
    },
    {
      name: 'machines-no-builtins',
      severity: 'error',
      from: { path: '^machines/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-is-the-kernel',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(machines|actors|hardware|cli|bench)/' },
    },
    {
      name: 'hardware-below-the-runtime',
      comment: 'adapters must not reach up into the runtime, the services or the CLI',
      severity: 'error',
      from: { path: '^hardware/' },
      to: { path: '^(machines|actors|cli|bridge|api|storage|hpc)/' },
    },
    {
      name: 'runtime-not-services',
      comment: 'services (api, storage, metrics, bridge) sit on the runtime; the runtime never reaches up into them',
      severity: 'error',
      from: { path: '^(actors|machines|hardware|core)/' },
      to: { path: '^(api|storage|metrics|bridge|dashboard|recording|ros)/' },
    },
    {
      name: 'storage-and-metrics-below-api',
      comment: 'storage and metrics are used by the api and the bridge, never the other way round',
      severity: 'error',
      from: { path: '^(storage|metrics)/' },
      to: { path: '^(api|bridge|cli)/' },
    },
    {
      name: 'slam-is-a-library',
      comment: 'the SLAM estimation core is pure: core/ and pointcloud/ only; ports and actors use it, never the other way round',
      severity: 'error',
      from: { path: '^slam/' },
      to: { path: '^(machines|actors|hardware|cli|api|storage|bridge|recording|hpc|metrics|dashboard|testing)/' },
    },
    {
      name: 'recording-beside-the-services',
      comment: 'the MCAP recorder/replayer reads the bus and the event log and drives the bridge; it never reaches into the api, storage or the cli',
      severity: 'error',
      from: { path: '^recording/' },
      to: { path: '^(api|storage|cli|testing)/' },
    },
    {
      name: 'bridge-beside-the-api',
      comment: 'the bridge takes its authenticator and metrics sink by injection: it imports neither the api, storage nor the cli',
      severity: 'error',
      from: { path: '^bridge/' },
      to: { path: '^(api|storage|cli|testing)/' },
    },
    {
      name: 'ros-face-beside-the-bridge',
      comment: 'ros/ (the twin on a ROS graph) sits on the runtime like the bridge: it takes its node and blob reader by injection and imports neither the api, storage, bridge nor the cli',
      severity: 'error',
      from: { path: '^ros/' },
      to: { path: '^(api|storage|cli|testing|bridge|dashboard|recording|hpc)/' },
    },
    {
      name: 'hardware-not-the-ros-face',
      severity: 'error',
      from: { path: '^(hardware|machines|core|slam|pointcloud)/' },
      to: { path: '^ros/' },
    },
    {
      name: 'dashboard-is-static',
      comment: 'the dashboard module serves assets; it knows the runtime only through core types',
      severity: 'error',
      from: { path: '^dashboard/' },
      to: { path: '^(api|storage|bridge|cli|testing|actors|hardware)/' },
    },
    {
      name: 'runtime-not-testing',
      comment: 'testing/ (arbitraries, invariants, fuzz) sits above the runtime it judges, beside cli/',
      severity: 'error',
      from: { path: '^(actors|machines|hardware|core)/' },
      to: { path: '^testing/' },
    },
    {
      name: 'pointcloud-is-a-pure-library',
      comment: 'pointcloud/ (issue 11) imports only core/ and its codec packages: no I/O, no clock, no node builtins',
      severity: 'error',
      from: { path: '^pointcloud/' },
      to: { pathNot: '^(pointcloud|core)/|node_modules/(zod|fast-png|laz-perf)/|^fast-png$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'pointcloud-no-builtins',
      severity: 'error',
      from: { path: '^pointcloud/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'runtime-not-cli',
      severity: 'error',
      from: { path: '^(actors|machines|hardware|core)/' },
      to: { path: '^cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test)/' },
  },
};
