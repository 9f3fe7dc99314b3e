import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../config/package-root.js';
import { tempDir } from './temp-dir.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether Debian's Chromium is here (.ci/run installs it). */
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface HeadlessBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium with the flags of PITFALLS.md (no background connections on a closed network)
 * and a fresh profile (user data dir) each time, removed on close.
 */
export async function launchChromium(): Promise<HeadlessBrowser> {
  const profile = tempDir('chromium-');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}

/** Screenshots go to test-results/ (git-ignored), for a person to look at after the run. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(packageRoot(), 'test-results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
