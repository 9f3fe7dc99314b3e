import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BIRTH_RESOURCES } from '../../cloud-bridge/contract-schemas.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { birthResources } from '../../gateway/runtime/birth-resources.js';
import { makeBridge, useBrokerFixture } from './bridge-harness.js';
import { assertContract } from './contract-validator.js';

/*
 * The birth names the station file's resources, so a console offers the door's own name for a
 * remote unlock instead of asking the operator to type it: the demo station's, with what each
 * resource does by its device's kind, published retained and valid against the committed schema.
 */

const fx = useBrokerFixture('stations/#');

function demo(url: string) {
  const { config } = loadStationConfig(join(packageRoot(), 'config', 'demo-station.yaml'), { checkFiles: false, cloudUrl: url });
  return { ...config, storage: { ...config.storage, path: join(fx.dir.path, 'g.db') } };
}

describe('the birth lists the station\'s resources', () => {
  it('carries the demo station\'s resources, doors and actions, and validates', async () => {
    const config = demo(fx.broker.url);
    const resources = birthResources(config);
    expect(resources).toEqual([
      { name: 'main-door', device: 'lock-1', door: 1, actions: ['unlock'] },
      { name: 'first-aid', device: 'lock-1', door: 2, actions: ['unlock'] },
      { name: 'cabinet-1', device: 'cabinet-1', actions: ['swap', 'operate'] },
      { name: 'water-1', device: 'water-1', actions: ['dispense'] },
    ]);
    const b = makeBridge(config, { resources });
    b.bridge.start();
    fx.closers.push(() => b.close());
    const S = `${config.cloud.topicPrefix}/${config.station.id}`;
    const birth = (await fx.recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true)).body;
    expect(birth['resources']).toEqual(resources);
    assertContract('status-birth', birth);
  });

  it('says a resource the station file takes out of service, and lists none past the bound', () => {
    const config = demo('mqtt://127.0.0.1:1');
    const closed = { ...config, resources: { ...config.resources, 'first-aid': { ...config.resources['first-aid']!, outOfService: true } } };
    expect(birthResources(closed)?.find((r) => r.name === 'first-aid')).toEqual({ name: 'first-aid', device: 'lock-1', door: 2, actions: ['unlock'], outOfService: true });
    const many = Object.fromEntries(Array.from({ length: MAX_BIRTH_RESOURCES + 1 }, (_, i) => [`door-${i}`, { ...config.resources['main-door']! }]));
    expect(birthResources({ ...config, resources: many })).toBeUndefined();
    expect(birthResources({ ...config, resources: Object.fromEntries(Object.entries(many).slice(1)) })).toHaveLength(MAX_BIRTH_RESOURCES);
    // More than the bound would not validate: the bound in the schema is the one the gateway keeps.
    const listed = birthResources({ ...config, resources: Object.fromEntries(Object.entries(many).slice(1)) });
    expect(() => assertContract('status-birth', { online: true, ts: new Date().toISOString(), version: '1', bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W', devices: [], resources: [...(listed ?? []), listed?.[0]] })).toThrow(/resources/);
  });
});
