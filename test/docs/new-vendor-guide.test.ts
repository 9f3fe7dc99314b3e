import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../config/config-error.js';
import { packageRoot } from '../../config/package-root.js';
import { loadCheckedProfile } from '../../config/profile-fit.js';
import { tempDir } from '../helpers/temp-dir.js';

/* The guide's profile and the output it shows are what the gateway does with that profile. */

const guide = readFileSync(join(packageRoot(), 'docs', 'new-vendor.md'), 'utf8');
const blocks = (lang: string): string[] => [...guide.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
const profileText = blocks('yaml').find((b) => b.startsWith('id: cabinet-kestrel')) as string;
const [refusals, notices] = blocks('text') as [string, string];

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

function check(text: string): { problems: string[]; notices: string[] } {
  const file = join(dir.path, 'cabinet-kestrel.yaml');
  writeFileSync(file, text);
  const r = loadCheckedProfile(file);
  const show = (p: Parameters<typeof formatProblem>[0]): string => formatProblem(p).replace(file, 'profiles/cabinet-kestrel.yaml');
  return { problems: r.problems.map(show), notices: r.notices.map(show) };
}

/** A shown line, up to where the guide shortens it. */
const shown = (line: string): string => line.split(/ \(\.\.\.\)| \.\.\./)[0] as string;

describe('docs/new-vendor.md', () => {
  it('its profile passes, with the notices it shows', () => {
    expect(profileText).toBeDefined();
    const out = check(profileText);
    expect(out.problems).toEqual([]);
    for (const line of notices.split('\n').filter((l) => l.startsWith('profiles/'))) expect(out.notices).toContain(line);
  });

  it('the refusals it shows are what validate says, on those lines', () => {
    const broken = profileText.replace('smoke: status.smokeAlarm', 'smoke: status.smoke').replace('charging: [charging, standby]', 'charging: [charging]');
    const out = check(broken);
    const lines = refusals.split('\n').filter((l) => l.startsWith('profiles/'));
    expect(out.problems).toHaveLength(lines.length);
    lines.forEach((line, i) => expect(out.problems[i]?.startsWith(shown(line)), `${out.problems[i]}\n  starts with\n${shown(line)}`).toBe(true));
    // The second half of each shortened line is in the message too.
    expect(out.problems[1]).toContain("add it to one of map's states");
  });
});
