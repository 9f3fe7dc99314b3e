import type { StationConfig } from '../../../config/station-schema.js';
import { certificateFileExpiry, daysToExpiry, type CertificateDates } from '../../enrolment/certificate.js';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';

/** The station's client certificate as read from its file, or why it could not be. */
export type CertificateReading = { file: string; dates: CertificateDates } | { file: string; error: string };

export function readCertificate(file: string): CertificateReading {
  try {
    const dates = certificateFileExpiry(file);
    return dates ? { file, dates } : { file, error: 'no certificate in the file' };
  } catch (err) {
    return { file, error: (err as Error).message };
  }
}

/**
 * Days until the station's client certificate expires: a station whose certificate lapses is cut
 * off from the fleet on that day. Warned once renewal is due (`cloud.renewBeforeDays`): an
 * enrolled station renews itself by then, and one that has not needs the enrolment service looked
 * at. One rule for doctor on site and `cmd/doctor` from afar.
 */
export function certificateCheck(reading: CertificateReading, renewBeforeDays: number, now: Date): CheckResult {
  if ('error' in reading) return fail('certificate', `${reading.file}: ${reading.error}`);
  const { notAfter } = reading.dates;
  const days = daysToExpiry(notAfter.getTime(), now.getTime());
  const detail = `${days < 0 ? 'expired' : `${Math.floor(days)} days left`}, until ${notAfter.toISOString()} (${reading.file})`;
  if (days < 0) return fail('certificate', detail);
  return days <= renewBeforeDays ? warn('certificate', `${detail}; renewal is due`) : pass('certificate', detail);
}

/** The check of `station-gateway doctor`; undefined for a station without a client certificate. */
export function checkCertificate(config: StationConfig, now: Date): CheckResult | undefined {
  const file = config.cloud.cert;
  return file ? certificateCheck(readCertificate(file), config.cloud.renewBeforeDays, now) : undefined;
}
