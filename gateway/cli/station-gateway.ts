#!/usr/bin/env node
import { existsSync } from 'node:fs';

/*
 * `station-gateway`: the bundle `npm run build` makes of the CLI and everything it imports
 * (rolldown.config.ts), where there is one, else the compiled module graph. The bundle is what a
 * box runs: one minified file per lazily loaded part instead of some 400 modules, 10 MB less
 * resident for the same station (docs/benchmarks.md, memory). The graph is the same code, for a
 * tree that was only type-compiled.
 */
const bundle = new URL('../bundle/station-gateway.js', import.meta.url);
await import(existsSync(bundle) ? bundle.href : './station-gateway-main.js');
