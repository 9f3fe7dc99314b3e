import { z } from 'zod';
import { brokerUrlProblem } from '../../config/network-address.js';
import { readCheckedYamlFile } from '../../config/read-yaml-file.js';
import { CLAIM_ID, HARDWARE_ID, STATION_ID } from './enrolment-protocol.js';

/*
 * The claim file: all a new box has before its first start (no station file yet). It names the
 * enrolment broker, the claim of the box's batch, where the box keeps its keys and where it writes
 * the station file it is sent. Relative paths are relative to the claim file's own folder.
 *
 *   broker: { url: mqtts://enrol.example.net:8884, ca: enrol-ca.crt }
 *   claim: { id: batch-2026-11, secretFile: claim.secret }      # code: 7F3K-22QP for a one-time code
 *   keysDir: /var/lib/station-gateway/keys
 *   stationFile: /etc/station-gateway/station.yaml
 */

const file = (what: string) => z.string().min(1).describe(what);

export const claimFileSchema = z.strictObject({
  broker: z.strictObject({
    url: z
      .string()
      .regex(/^mqtts:\/\/[^/\s]+$/, 'must be mqtts://host:port: a claim\'s secret never crosses a link in the clear')
      .superRefine((url, ctx) => {
        const problem = brokerUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('the enrolment broker\'s claim listener'),
    ca: file('CA certificate (PEM) that signed the enrolment broker'),
    protocolVersion: z.literal([4, 5]).default(5).describe('5 = MQTT 5, 4 = MQTT 3.1.1'),
  }),
  claim: z.strictObject({
    id: z.string().regex(CLAIM_ID, 'letters, digits, . _ -, at most 64, no / + #').describe('the batch\'s claim: its broker user name'),
    secretFile: file('file holding the claim\'s broker password'),
    secret: z.never({ error: 'secrets are never inline: put the password in a file and name it in claim.secretFile' }).optional(),
    code: z.string().min(4).max(64).optional().describe('a one-time enrolment code, when the plan keys this box on one'),
  }),
  hardwareId: z.string().regex(HARDWARE_ID).optional().describe('this box\'s hardware id; by default the first line of hardwareIdFile'),
  hardwareIdFile: file('where the hardware id is read from').default('/etc/machine-id'),
  stationId: z.string().regex(STATION_ID).optional().describe('the station id to ask for; the plan has the last word'),
  keysDir: file('where the box keeps its keys and certificates (made 0700)'),
  stationFile: file('where the station file received is written'),
  replyTimeoutSeconds: z.number().int().min(5).max(600).default(60).describe('how long to wait for the enrolment service\'s answer'),
});

export type ClaimFile = z.output<typeof claimFileSchema>;

/** Reads and checks a claim file; every problem at once as a ConfigError (`CONFIG_INVALID`, exit 2). */
export function loadClaimFile(path: string): ClaimFile {
  const { value: c, at } = readCheckedYamlFile(path, claimFileSchema);
  return {
    ...c,
    broker: { ...c.broker, ca: at(c.broker.ca) },
    claim: { ...c.claim, secretFile: at(c.claim.secretFile) },
    hardwareIdFile: at(c.hardwareIdFile),
    keysDir: at(c.keysDir),
    stationFile: at(c.stationFile),
  };
}
