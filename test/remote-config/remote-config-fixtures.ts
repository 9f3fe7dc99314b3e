import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { CompactSign, generateKeyPair, type CryptoKey } from 'jose';
import { loadTrustedKeys, type TrustedKeys } from '../../config/trusted-keys.js';
import { CONFIG_DOCUMENT_JOSE_TYPE } from '../../cloud-bridge/remote-config-contract.js';
import { readConfigKey, writeConfigKey, type ConfigSigningKey } from '../../fleet/config/config-keys.js';
import { signConfigDocument } from '../../fleet/config/sign-config-document.js';

/** A station file a station accepts from afar: every path it names absolute, outside the store. */
export function stationYaml(options: { id: string; dataDir: string; devicePort?: number; extraDevice?: boolean; profile?: string }): string {
  const cabinet = options.profile ?? 'cabinet-ref';
  return `station:
  id: ${options.id}
cloud:
  url: mqtt://127.0.0.1:1883
storage:
  path: ${join(options.dataDir, 'gateway.db')}
resources:
  cabinet-1: { device: cabinet-1 }
devices:
  - id: cabinet-1
    kind: battery-cabinet
    profile: ${cabinet}
    transport: { type: modbus-tcp, host: 127.0.0.1, port: ${options.devicePort ?? 5020}, unitId: 1 }
${options.extraDevice ? `  - id: water-1
    kind: water-dispenser
    profile: dispenser-ref
    transport: { type: modbus-tcp, host: 127.0.0.1, port: ${(options.devicePort ?? 5020) + 1}, unitId: 2 }
` : ''}`;
}

export interface FleetKey {
  signing: ConfigSigningKey;
  /** The station's configuration-key file. */
  publicKeysFile: string;
  stationKeys: TrustedKeys;
}

export async function makeFleetKey(dir: string, kid = 'fleet-config-1'): Promise<FleetKey> {
  const written = await writeConfigKey(dir, kid);
  return { signing: await readConfigKey(written.privateKeyFile), publicKeysFile: written.publicKeysFile, stationKeys: await loadTrustedKeys(written.publicKeysFile) };
}

export async function sign(key: FleetKey, station: string, revision: number, files: Record<string, string>, replaceDrift = false): Promise<string> {
  return signConfigDocument(key.signing, { station, revision, files, replaceDrift });
}

/** Signs any payload at all, as a broken or hostile fleet tool would: what the station must refuse. */
export async function signRaw(privateKey: CryptoKey, kid: string, payload: unknown, typ: string = CONFIG_DOCUMENT_JOSE_TYPE): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid, typ }).sign(privateKey);
}

export async function otherKey(): Promise<CryptoKey> {
  return (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
}

export const desired = (jws: string): Buffer => Buffer.from(JSON.stringify({ document: jws }));

export function writeOnSite(dir: string, text: string): string {
  const file = join(dir, 'station.yaml');
  writeFileSync(file, text);
  return file;
}
