import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); playwright-core drives it and downloads nothing. */
export const CHROMIUM = process.env.ERU_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Chromium, headless. With `trustCa` (a PEM file) it runs with a home of its own whose NSS database
 * (~/.pki/nssdb, where Chromium on Linux keeps the CAs a user added) trusts that CA for servers, as
 * an operator's browser would once told to.
 */
export async function launchBrowser(options: { trustCa?: string; home?: string } = {}): Promise<Browser> {
  const env: Record<string, string> = {};
  if (options.trustCa) {
    if (!options.home) throw new Error('a browser trusting a CA needs a home directory for its NSS database');
    const db = join(options.home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'eru-test-ca', '-i', options.trustCa], { stdio: 'pipe' });
    env.HOME = options.home;
  }
  // As root (CI), Chromium's sandbox needs user namespaces it may not have; the pages are our own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'], ...(options.home ? { env: { ...process.env, ...env } as Record<string, string> } : {}) });
}

/** Every console error and uncaught exception of a page, for "no console errors" checks. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

/** Signs in on the dashboard's page with a token; resolves once the core took it. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/ui/`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top');
}
