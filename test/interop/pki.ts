import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fleet CA and certificates made with openssl in a temp dir for one test run; never committed. */
export interface Pki {
  dir: string;
  ca: string;
  /** Broker certificate for 127.0.0.1 / localhost. */
  broker: { cert: string; key: string };
  /** A client certificate whose CN is `name` (a station id, or cloud-backend / ops-console). */
  client(name: string): { cert: string; key: string };
}

const openssl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
};

export function makePki(dir: string): Pki {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=station-fleet-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  const issue = (name: string, ext?: string): { cert: string; key: string } => {
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`];
    if (ext) {
      writeFileSync(join(dir, `${name}.ext`), ext);
      args.push('-extfile', `${name}.ext`);
    }
    openssl(dir, args);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  const broker = issue('broker', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const issued = new Map<string, { cert: string; key: string }>();
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    broker,
    client: (name) => {
      let c = issued.get(name);
      if (!c) {
        c = issue(name, 'extendedKeyUsage=clientAuth\n');
        issued.set(name, c);
      }
      return c;
    },
  };
}
