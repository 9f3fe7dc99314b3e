import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { waitFor } from '../helpers/wait-for.js';
import { portOpen, stopMosquitto } from './mosquitto.js';
import type { Pki } from './pki.js';

/**
 * A real Mosquitto 2 with both listeners of docs/broker/mosquitto-enrol.conf: the stations' mTLS
 * listener (the fleet ACL of docs/broker/acl with docs/broker/acl-enrol added) and the claim
 * listener (password file, docs/broker/acl-claims). The documented files, with this run's
 * certificates, ports and paths substituted, and nothing else changed.
 */
export class EnrolmentBroker {
  private child: ChildProcess | undefined;
  private log = '';
  readonly conf: string;
  readonly passwords: string;

  constructor(
    readonly dir: string,
    readonly stationPort: number,
    readonly claimPort: number,
    pki: Pki,
  ) {
    const docs = join(packageRoot(), 'docs', 'broker');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const acl = join(dir, 'acl');
    writeFileSync(acl, `${readFileSync(join(docs, 'acl'), 'utf8')}\n${readFileSync(join(docs, 'acl-enrol'), 'utf8')}`);
    const aclClaims = join(dir, 'acl-claims');
    writeFileSync(aclClaims, readFileSync(join(docs, 'acl-claims'), 'utf8'));
    this.passwords = join(dir, 'passwd-claims');
    writeFileSync(this.passwords, '');
    this.conf = join(dir, 'mosquitto-enrol.conf');
    const conf = readFileSync(join(docs, 'mosquitto-enrol.conf'), 'utf8')
      .replace(/^listener 8883$/m, `listener ${stationPort} 127.0.0.1`)
      .replace(/^listener 8884$/m, `listener ${claimPort} 127.0.0.1`)
      .replaceAll('/etc/mosquitto/certs/ca.crt', pki.ca)
      .replaceAll('/etc/mosquitto/certs/broker.crt', pki.broker.cert)
      .replaceAll('/etc/mosquitto/certs/broker.key', pki.broker.key)
      .replaceAll('/etc/mosquitto/acl-claims', aclClaims)
      .replace(/^acl_file \/etc\/mosquitto\/acl$/m, `acl_file ${acl}`)
      .replaceAll('/etc/mosquitto/passwd-claims', this.passwords)
      .replace(/^persistence_location .*$/m, `persistence_location ${join(dir, 'data')}/`);
    // Started as root, mosquitto switches to the user `mosquitto`, who cannot read this temp dir.
    writeFileSync(this.conf, `${conf}\nlog_dest stdout\nuser ${userInfo().username}\n`);
  }

  get stationUrl(): string {
    return `mqtts://127.0.0.1:${this.stationPort}`;
  }

  get claimUrl(): string {
    return `mqtts://127.0.0.1:${this.claimPort}`;
  }

  output(): string {
    return this.log;
  }

  /** A claim's account in the claim listener's password file (mosquitto_passwd); takes effect at start or on SIGHUP. */
  addClaim(user: string, password: string): void {
    execFileSync('/usr/bin/mosquitto_passwd', ['-b', this.passwords, user, password], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    const child = spawn('/usr/sbin/mosquitto', ['-c', this.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    for (const port of [this.stationPort, this.claimPort]) {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`mosquitto exited ${child.exitCode}: ${this.log}`);
          return portOpen(port);
        },
        10_000,
        `mosquitto listening on ${port}`,
      );
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopMosquitto(child);
  }
}
