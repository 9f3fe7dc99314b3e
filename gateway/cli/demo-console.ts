import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleUrl, serveStatic, type StaticServer } from './static-server.js';

export interface DemoConsole {
  /** The line the demo prints: the console's URL, or why there is none. */
  readonly line: string;
  /** The workers' phone page (docs/console.md), when the console is served. */
  readonly phone: string | undefined;
  close(): Promise<void>;
}

/** Serves the built operator console (dist/console) for the demo, pointed at the broker's WebSocket. */
export async function startDemoConsole(root: string, wsUrl: string | undefined, prefix: string, stationId: string): Promise<DemoConsole> {
  const dir = join(root, 'dist', 'console');
  if (!wsUrl || !existsSync(join(dir, 'index.html'))) {
    return { line: 'not built (npm run build builds it)', phone: undefined, close: async () => undefined };
  }
  const server: StaticServer = await serveStatic(dir);
  const phone = existsSync(join(dir, 'phone.html')) ? `${server.url}phone.html` : undefined;
  return { line: consoleUrl(server.url, wsUrl, prefix, stationId), phone, close: () => server.close() };
}

/**
 * What the demo prints under the console's line: how to give the console an operator pass for
 * the key it shows in its Operator panel, signed with the demo's key (`keyFile`, as shown).
 */
export function operatorPassLines(site: DemoConsole, keyFile: string, stationId: string): string[] {
  if (!site.phone) return [];
  const base = site.line.replace(/#.*$/, '');
  return [
    `  operator the console's Operator panel (header) shows its KEY; issue it an operator pass with`,
    `           node dist/simulators/cli/station-token.js pass --key ${keyFile} --role operator --phone-key KEY --sub ops-demo --station ${stationId} --grant unlock --grant operate --grant diagnose:${stationId}`,
    `           and open ${base}#pass=PASS&station=${stationId} (or paste PASS into the panel): remote unlock, acknowledge, snapshot`,
  ];
}
