/*
 * The layers of the project and what each may import (docs/architecture.md). Anything not
 * listed is a back edge or a side edge, and `npm run lint:deps` (run by CI) fails on it; so does
 * any import cycle. Tools that start whole stations (the demo) sit above everything.
 */
const LAYERS = {
  config: { path: '^config/', may: [] },
  'device-drivers': { path: '^device-drivers/', may: ['config'] },
  simulators: { path: '^simulators/', may: ['config', 'device-drivers'] },
  'cloud-bridge': { path: '^cloud-bridge/', may: ['config', 'device-drivers'] },
  gateway: { path: '^gateway/', may: ['config', 'device-drivers', 'cloud-bridge'] },
  fleet: { path: '^fleet/', may: ['config', 'device-drivers', 'simulators', 'cloud-bridge', 'gateway'] },
  // A static page built on its own: the contract's types and the configuration's, nothing that runs on a box.
  console: { path: '^console/', may: ['config', 'cloud-bridge'] },
};

/** The demo is a tool on top of the station and its simulators, whatever folder it lives in. */
const TOOLS = '^gateway/cli/demo[^/]*\\.ts$';

const forbidden = Object.entries(LAYERS).flatMap(([name, layer]) =>
  Object.entries(LAYERS)
    .filter(([other]) => other !== name && !layer.may.includes(other))
    .map(([other, target]) => ({
      name: `${name}-must-not-import-${other}`,
      comment: `${name} may import ${layer.may.join(', ') || 'nothing outside itself'} (docs/architecture.md)`,
      severity: 'error',
      from: { path: layer.path, pathNot: TOOLS },
      to: { path: target.path },
    })),
);

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'tools-import-no-fleet',
      comment: 'the demo may use the station and the simulators, not the fleet tools',
      severity: 'error',
      from: { path: TOOLS },
      to: { path: LAYERS.fleet.path },
    },
    {
      name: 'one-composition-root',
      severity: 'error',
      comment: 'a station is assembled only by gateway/runtime/compose-station.ts; doctor and the fleet simulator call it rather than building parts of their own',
      from: { pathNot: '^gateway/runtime/' },
      to: { path: '^gateway/runtime/(device-factory|access-wiring|station-logic-wiring|parts/)' },
    },
    {
      name: 'launcher-stands-alone',
      severity: 'error',
      comment: 'the launcher is installed outside the releases and must run whatever release is in them: node builtins and config/ only, no package',
      from: { path: '^gateway/update/launcher/' },
      to: { pathNot: '^(config/|gateway/update/launcher/)', dependencyTypesNot: ['core'] },
    },
    { name: 'no-circular', severity: 'error', comment: 'a cycle makes its modules one lump that cannot be tested or moved apart', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
