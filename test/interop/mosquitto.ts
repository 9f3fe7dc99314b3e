import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Pki } from './pki.js';

/**
 * A real Mosquitto 2 on 127.0.0.1, run from the documented fleet config (docs/broker/) with this
 * run's certificates, port and data dir. It can be stopped and started again on the same port
 * with its persistence file, as a broker restart in the field.
 */
export class Mosquitto {
  private child: ChildProcess | undefined;
  private log = '';
  readonly conf: string;

  constructor(
    readonly dir: string,
    readonly port: number,
    pki: Pki,
  ) {
    const docs = join(packageRoot(), 'docs', 'broker');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const acl = join(dir, 'acl');
    writeFileSync(acl, readFileSync(join(docs, 'acl'), 'utf8'));
    this.conf = join(dir, 'mosquitto.conf');
    const conf = readFileSync(join(docs, 'mosquitto.conf'), 'utf8')
      .replace(/^listener 8883$/m, `listener ${port} 127.0.0.1`)
      .replace(/^cafile .*$/m, `cafile ${pki.ca}`)
      .replace(/^certfile .*$/m, `certfile ${pki.broker.cert}`)
      .replace(/^keyfile .*$/m, `keyfile ${pki.broker.key}`)
      .replace(/^acl_file .*$/m, `acl_file ${acl}`)
      .replace(/^persistence_location .*$/m, `persistence_location ${join(dir, 'data')}/`);
    // Started as root, mosquitto switches to the user `mosquitto`, who cannot read this temp dir.
    writeFileSync(this.conf, `${conf}\nlog_dest stdout\nuser ${userInfo().username}\n`);
  }

  get url(): string {
    return `mqtts://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.log;
  }

  /** Starts it, unless it runs already (a second mosquitto on the port would fail and orphan the first). */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    const child = spawn('/usr/sbin/mosquitto', ['-c', this.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString('utf8')));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`mosquitto exited ${child.exitCode}: ${this.log}`);
        return portOpen(this.port);
      },
      10_000,
      'mosquitto listening',
    );
  }

  /** SIGTERM: mosquitto closes every connection and saves its persistence file. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopMosquitto(child);
  }
}

/** SIGTERM to a mosquitto we started, waiting for it to exit (it saves its persistence file). */
export async function stopMosquitto(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
