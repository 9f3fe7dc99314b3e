import type { StationConfig } from '../../../config/station-schema.js';
import { certificateFileExpiry, daysToExpiry } from '../../enrolment/certificate.js';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';

/**
 * Days until the station's client certificate expires: a station whose certificate lapses is cut
 * off from the fleet on that day. Warned once renewal is due (`cloud.renewBeforeDays`): an
 * enrolled station renews itself by then, and one that has not needs the enrolment service looked at.
 */
export function checkCertificate(config: StationConfig, now: Date): CheckResult | undefined {
  const file = config.cloud.cert;
  if (!file) return undefined;
  let dates;
  try {
    dates = certificateFileExpiry(file);
  } catch (err) {
    return fail('certificate', `${file} cannot be read: ${(err as Error).message}`);
  }
  if (!dates) return fail('certificate', `${file} holds no certificate`);
  const days = daysToExpiry(dates.notAfter.getTime(), now.getTime());
  const detail = `${days < 0 ? 'expired' : `${Math.floor(days)} days left`}, until ${dates.notAfter.toISOString()} (${file})`;
  if (days < 0) return fail('certificate', detail);
  return days <= config.cloud.renewBeforeDays ? warn('certificate', `${detail}; renewal is due`) : pass('certificate', detail);
}
