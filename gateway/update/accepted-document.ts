import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileAtomically } from '../../config/durable-write.js';

const FILE = 'accepted-document.json';

const acceptedSchema = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  revision: z.number().int().min(1),
  version: z.string(),
  rollout: z.string().nullable(),
  /** The devices online when the document was taken: the new version's gate waits for them. */
  expectOnline: z.array(z.string()),
});
export type AcceptedRelease = z.infer<typeof acceptedSchema>;

/**
 * The release document the station last took, kept beside the downloads: after a kill -9 the same
 * retained document comes again and is recognised (carry on, not refuse it as not newer), and the
 * new version's gate knows which devices answered before the switch.
 */
export class AcceptedDocument {
  constructor(private readonly dir: string) {}

  read(): AcceptedRelease | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir, FILE), 'utf8');
    } catch {
      return undefined;
    }
    try {
      return acceptedSchema.parse(JSON.parse(text));
    } catch {
      // Written atomically, so damage is the disk's: forget it (the document is verified again).
      return undefined;
    }
  }

  write(doc: AcceptedRelease): void {
    mkdirSync(this.dir, { recursive: true });
    replaceFileAtomically(join(this.dir, FILE), `${JSON.stringify(doc)}\n`);
  }
}
