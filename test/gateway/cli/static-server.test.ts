import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleUrl, serveStatic, type StaticServer } from '../../../gateway/cli/static-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A raw GET: fetch() would normalise `..` away before the server could refuse it. */
function get(url: string, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(url), { path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the demo\'s static file server for the console', () => {
  const dir = tempDir('static-');
  let server: StaticServer;

  beforeAll(async () => {
    mkdirSync(join(dir.path, 'site', 'assets'), { recursive: true });
    writeFileSync(join(dir.path, 'site', 'index.html'), '<!doctype html><p>console</p>');
    writeFileSync(join(dir.path, 'site', 'assets', 'app.js'), 'export {};');
    writeFileSync(join(dir.path, 'secret.txt'), 'not served');
    server = await serveStatic(join(dir.path, 'site'));
  });

  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('serves the folder on 127.0.0.1 with content types, index.html for /', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get(server.url, '/?url=ws%3A%2F%2Fx')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><p>console</p>' });
    expect(await get(server.url, '/assets/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect((await get(server.url, '/missing.js')).status).toBe(404);
    expect((await get(server.url, '/assets')).status).toBe(404);
  });

  it('serves nothing outside its folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt']) {
      const res = await get(server.url, path);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('not served');
    }
    // An encoded slash survives URL parsing: only the server's own check stops it.
    expect(await get(server.url, '/..%2fsecret.txt')).toMatchObject({ status: 403, body: '' });
  });

  it('prints a console URL that carries the broker and connects at once', () => {
    const url = new URL(consoleUrl('http://127.0.0.1:8000/', 'ws://127.0.0.1:9001', 'stations', 'st 1'));
    expect(Object.fromEntries(url.searchParams)).toEqual({ url: 'ws://127.0.0.1:9001', prefix: 'stations', connect: '1' });
    expect(url.hash).toBe('#/station/st%201');
  });
});
