import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stationConfigSchema } from '../../../config/station-schema.js';
import { checkCertificate } from '../../../gateway/ops/doctor/certificate-check.js';
import { HealthMonitor } from '../../../gateway/ops/health-monitor.js';
import { Liveness } from '../../../gateway/ops/liveness.js';
import { StationMetrics } from '../../../gateway/ops/station-metrics.js';
import type { StationView } from '../../../gateway/ops/station-view.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A self-signed client certificate from OpenSSL, valid for `days` from now. */
function certificate(dir: string, days: number): string {
  const cert = join(dir, `c${days}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `c${days}.key`), '-out', cert, '-subj', '/CN=hz-0001', '-days', String(days)], { stdio: 'ignore' });
  return cert;
}

const config = (cert: string, renewBeforeDays = 30) =>
  stationConfigSchema.parse({
    station: { id: 'hz-0001' },
    cloud: { url: 'mqtts://broker.example.net:8883', cert, key: cert.replace('.crt', '.key'), renewBeforeDays },
    storage: { path: '/tmp/x.db' },
    devices: [{ id: 'occ-1', kind: 'occupancy', profile: 'occupancy-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', unitId: 3 } }],
  });

describe('days to certificate expiry', () => {
  it('doctor passes with time to spare, warns once renewal is due, and fails an expired certificate', () => {
    const dir = tempDir('cert-');
    try {
      const now = new Date();
      const long = checkCertificate(config(certificate(dir.path, 400)), now);
      expect(long).toMatchObject({ check: 'certificate', status: 'pass' });
      expect(long?.detail).toMatch(/^399 days left/);
      expect(checkCertificate(config(certificate(dir.path, 20)), now)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/renewal is due$/) });
      const later = new Date(now.getTime() + 21 * 86_400_000);
      expect(checkCertificate(config(certificate(dir.path, 20)), later)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^expired/) });
      const noCert = stationConfigSchema.parse({ ...config('/x.crt'), cloud: { url: 'mqtt://127.0.0.1:1883' } });
      expect(checkCertificate(noCert, now)).toBeUndefined();
      expect(checkCertificate(config(join(dir.path, 'missing.crt')), now)).toMatchObject({ status: 'fail' });
    } finally {
      dir.remove();
    }
  });

  it('is a gauge in /metrics when the station has a certificate, and absent when not', async () => {
    const view = { stationId: 'hz-0001', devices: [], timeoutMs: () => 0, outboxPending: () => 0, oldestPendingAt: () => undefined, cloudConnected: () => true, alarms: () => [], onEvent: () => () => undefined, onAlarms: () => () => undefined } as unknown as StationView;
    const liveness = new Liveness({ devices: [], timeoutMs: () => 1000, loopLagMs: () => 0 });
    const withCert = new StationMetrics(view, new HealthMonitor(liveness, 60_000), liveness, { certificateDaysLeft: () => 12.5 });
    const without = new StationMetrics(view, new HealthMonitor(liveness, 60_000), liveness);
    try {
      expect(await withCert.text()).toContain('station_certificate_days_left{station="hz-0001"} 12.5');
      expect(await without.text()).not.toContain('station_certificate_days_left');
    } finally {
      withCert.stop();
      without.stop();
    }
  });
});
