// The console end to end in a real browser: Debian's Chromium driven by playwright-core, against the local
// server started in process and the loopback Dolibarr and Odoo simulators. Run with `npm run test:browser`
// (vitest.browser.config.ts); `npm test` does not pick this file up. Screenshots go to test/artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local-server.ts';
import { parseEnvironment } from '../../shared/app/environment.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import {
  DOLIBARR_KEYS,
  dolibarrRecordedConfig,
  ODOO_SECRETS,
  odooRecordedConfig,
} from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';

// The shared tsconfig has no DOM lib (adding it would retype Node's fetch for every file): these module-local
// declarations type the few page globals the callbacks below use; those callbacks run in the browser.
interface PageElement {
  tagName: string;
  id: string;
  textContent: string | null;
  type?: string;
  name?: string;
  labels?: { length: number } | null;
  scrollWidth: number;
  clientWidth: number;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  close?(): void;
}
declare const document: {
  activeElement: PageElement | null;
  documentElement: PageElement & { lang: string };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
};
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};
declare function getComputedStyle(element: PageElement): { outlineStyle: string; borderLeftColor: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const TOKEN = 'console-browser-token-5d2e8a';
const NEW_ADMIN_KEY = 'rotated-admin-key-0b7c4e19a2';
/** How long the slow Dolibarr takes to refuse a key: long enough to watch the seconds count. */
const SLOW_MS = 3000;
/** A private address outside the server's EGRESS_ALLOW (127.0.0.0/8): refused before any connection. */
const LAN_URL = 'http://10.255.0.7';
/** A closed loopback port: the check cannot reach it, so the verdict is inconclusive. */
const UNREACHABLE_URL = 'http://127.0.0.1:9';

let dataDir: string;
let profileDir: string;
let server: LocalServer;
let dol: DolibarrSimulator;
/** A Dolibarr that takes its time over a refused key (its real brute-force delay, made longer). */
let slowDol: DolibarrSimulator;
let odoo: OdooSimulator;
let context: BrowserContext;
let page: Page;
const consoleProblems: string[] = [];

const shot = (name: string, target: Page | Locator = page) =>
  target.screenshot({
    path: join(ARTIFACTS, `console-${name}.png`),
    ...(target === page ? { fullPage: true } : {}),
  });
const activeElement = () =>
  page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: el?.tagName.toLowerCase(),
      name: el?.getAttribute('name') ?? null,
      text: el?.textContent?.trim() ?? '',
      id: el?.id ?? '',
    };
  });
const announcer = () => page.locator('#announcer');
const card = (name: string) => page.getByRole('article', { name, exact: true });

/** Every control in the accessibility tree has a name (what axe's label and button-name rules check). */
async function unnamedControls(): Promise<string[]> {
  const cdp = await context.newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }>;
  };
  await cdp.detach();
  const controls = new Set([
    'textbox',
    'combobox',
    'button',
    'checkbox',
    'radio',
    'link',
    'searchbox',
    'spinbutton',
  ]);
  return nodes
    .filter((n) => !n.ignored && controls.has(n.role?.value ?? '') && !(n.name?.value ?? '').trim())
    .map((n) => n.role?.value ?? '?');
}

/** DOM-level checks axe would make: labelled form fields, unique ids, no positive tabindex, a page language. */
function domAudit() {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const field = el;
      if (field.type === 'hidden') continue;
      const labelled =
        (field.labels?.length ?? 0) > 0 ||
        field.hasAttribute('aria-label') ||
        field.hasAttribute('aria-labelledby');
      if (!labelled) problems.push(`unlabelled ${field.tagName} ${field.name}`);
      for (const id of (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean))
        if (!document.getElementById(id)) problems.push(`aria-describedby ${id} missing`);
    }
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i)))
      problems.push(`duplicate id ${id}`);
    for (const el of document.querySelectorAll('[tabindex]'))
      if (Number(el.getAttribute('tabindex')) > 0) problems.push(`positive tabindex on ${el.tagName}`);
    if (!document.documentElement.lang) problems.push('no lang on <html>');
    for (const dialog of document.querySelectorAll('dialog[open]')) {
      const labelledBy = dialog.getAttribute('aria-labelledby');
      if (!labelledBy || !document.getElementById(labelledBy)?.textContent?.trim())
        problems.push('dialog without a name');
    }
    return problems;
  });
}

const horizontalOverflow = () =>
  page.evaluate(() => {
    const doc = document.documentElement;
    const dialog = document.querySelector('dialog[open]');
    return {
      page: doc.scrollWidth - doc.clientWidth,
      dialog: dialog ? dialog.scrollWidth - dialog.clientWidth : 0,
    };
  });

/** How often a text (or pattern) appears in what a locator shows. */
async function occurrences(target: Locator, text: string | RegExp): Promise<number> {
  const shown = await target.innerText();
  if (typeof text === 'string') return shown.split(text).length - 1;
  return [...shown.matchAll(new RegExp(text.source, 'g'))].length;
}

/** The Vendor facts of a report region, label to value. */
async function factLabels(report: Locator): Promise<Record<string, string>> {
  const list = report.locator('h4:text-is("Vendor") + dl');
  const labels = await list.locator('dt').allTextContents();
  const values = await list.locator('dd').allTextContents();
  return Object.fromEntries(labels.map((label, i) => [label, values[i] ?? '']));
}

async function fillByKeyboard(...steps: Array<string | { press: string }>) {
  for (const step of steps) {
    if (typeof step === 'string') await page.keyboard.type(step);
    else await page.keyboard.press(step.press);
  }
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dol = await startDolibarrSimulator(dolibarrRecordedConfig({ failureDelayMs: 10 }));
  slowDol = await startDolibarrSimulator(dolibarrRecordedConfig({ failureDelayMs: SLOW_MS }));
  odoo = await startOdooSimulator(odooRecordedConfig('19.0'));
  dataDir = mkdtempSync(join(tmpdir(), 'credval-console-'));
  server = await startLocalServer(
    parseEnvironment({
      PORT: '0',
      DATA_DIR: dataDir,
      LOCAL_API_TOKENS: `${TOKEN}:tenant-console`,
      EGRESS_ALLOW: '127.0.0.0/8',
      SWEEP_INTERVAL: '1h',
      LOG_LEVEL: 'SILENT',
    }),
  );
  // A fresh, empty profile, and nothing that phones Google: the sandbox has no network but loopback.
  profileDir = mkdtempSync(join(tmpdir(), 'credval-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('console', (message) => {
    // Chromium logs every non-2xx fetch as "Failed to load resource"; the refusals below are deliberate.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      consoleProblems.push(message.text());
  });
  page.on('pageerror', (error) => consoleProblems.push(`page error: ${error.message}`));
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  await dol?.close();
  await slowDol?.close();
  await odoo?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the console', () => {
  // A failed step must not leave a modal dialog over the page for the next test.
  afterEach(async () => {
    await page.evaluate(() => {
      for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close?.();
    });
  });

  it('is served at / without a token, as HTML under a strict CSP that allows only its own hashed script and style', async () => {
    const answer = await fetch(`${server.url}/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = answer.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/require-trusted-types-for 'script'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|sandbox|https?:/);
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    const html = await answer.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!credval)/);
    // Revalidation with the ETag costs nothing.
    const again = await fetch(`${server.url}/`, {
      headers: { 'if-none-match': answer.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('refuses a wrong token at sign-in and explains why, then signs in with the right one', async () => {
    await page.goto(`${server.url}/`);
    const token = page.getByLabel('API token');
    await expect.poll(() => activeElement()).toMatchObject({ id: 'token' });
    await fillByKeyboard('not-the-token', { press: 'Enter' });
    await expect.poll(() => page.locator('#token-error').textContent()).toMatch(/refused the token \(401\)/);
    expect(await token.getAttribute('aria-invalid')).toBe('true');
    await shot('sign-in-refused');

    await token.fill(TOKEN);
    await token.press('Enter');
    await page.getByRole('heading', { name: 'Connectors' }).waitFor();
    const tiles = page.locator('#connector-tiles > li');
    expect(await tiles.locator('h3').allTextContents()).toEqual(['Dolibarr', 'Odoo', 'Precoro']);
    await expect.poll(() => page.locator('#credentials-empty').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('credval.token'))).toBe(TOKEN);
  });

  it('builds the form from the catalogue: labels, help texts, required marks, password inputs, enum selects', async () => {
    await page.getByRole('button', { name: 'Add credential for Precoro' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Precoro credential' });
    await dialog.waitFor();
    const tokenInput = dialog.getByRole('textbox', { name: 'API token', exact: true });
    expect(await tokenInput.getAttribute('type')).toBe('password');
    expect(await tokenInput.getAttribute('required')).not.toBeNull();
    expect(await tokenInput.evaluate((el) => el.getAttribute('aria-describedby'))).toMatch(/-help$/);
    expect(await dialog.getByText('Configuration > Integrations > API Key').count()).toBe(1);
    const region = dialog.getByRole('combobox', { name: /Region/ });
    expect(await region.inputValue()).toBe('com');
    // People know the region by the address they sign in at; the API value stays `com` / `us`.
    expect(await region.locator('option').allTextContents()).toEqual([
      'International (app.precoro.com)',
      'United States (app.precoro.us)',
    ]);
    await region.selectOption({ label: 'United States (app.precoro.us)' });
    expect(await region.inputValue()).toBe('us');
    expect(
      await dialog
        .getByRole('textbox', { name: 'API URL (advanced) (optional)', exact: true })
        .getAttribute('required'),
    ).toBeNull();
    expect(await unnamedControls()).toEqual([]);
    expect(await domAudit()).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Add credential for Precoro' });
  });

  it('adds a Dolibarr credential by keyboard: a wrong key is blamed on its field, the right one is valid', async () => {
    await page.getByRole('button', { name: 'Add credential for Dolibarr' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add Dolibarr credential' });
    await dialog.waitFor();
    await expect.poll(() => activeElement()).toMatchObject({ name: 'name' });
    await fillByKeyboard(
      'ERP',
      { press: 'Tab' },
      'Main ERP, purchasing',
      { press: 'Tab' },
      dol.url,
      { press: 'Tab' },
      'not-the-dolibarr-key',
      { press: 'Tab' }, // Show
      { press: 'Tab' }, // Entity
      { press: 'Tab' }, // Advanced options (disclosure)
      { press: 'Tab' },
    );
    expect(await activeElement()).toMatchObject({ text: 'Test' });
    await page.keyboard.press('Enter');

    const apiKey = dialog.getByRole('textbox', { name: 'API key', exact: true });
    await expect.poll(() => apiKey.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => activeElement()).toMatchObject({ name: 'apiKey' });
    const refused = dialog.getByRole('region', { name: /Test result/ });
    expect(await refused.textContent()).toMatch(/Invalid/);
    expect(await refused.getByText('What to fix:').textContent()).toMatch(/API key/);
    expect(await dialog.locator('[role=status]').textContent()).toBe('Test result: Invalid.');
    // The reason is said once, at the field it blames (which names it to a screen reader too).
    expect(await occurrences(dialog, /Dolibarr refused the API key/)).toBe(1);
    expect(await apiKey.evaluate((el) => el.getAttribute('aria-describedby'))).toMatch(/-error\b/);

    await fillByKeyboard({ press: 'ControlOrMeta+a' }, DOLIBARR_KEYS.admin);
    await dialog.getByRole('button', { name: 'Test' }).focus();
    await page.keyboard.press('Enter');
    const report = dialog.getByRole('region', { name: /Test result/ });
    await expect.poll(() => report.locator('.badge').textContent()).toBe('Valid');
    expect(await apiKey.getAttribute('aria-invalid')).toBeNull();
    const text = (await report.textContent()) ?? '';
    expect(text).toMatch(/Loginadmin/);
    expect(await factLabels(report)).toEqual({
      Product: 'Dolibarr',
      'Dolibarr version': '20.0.2',
      'Locked for maintenance': 'No',
    });
    expect(text).toMatch(/admin_credential/);
    const permissions = report.getByRole('table');
    expect(await permissions.getByRole('row').count()).toBeGreaterThan(1);
    expect(await permissions.getByRole('columnheader').allTextContents()).toEqual([
      'Resource',
      'Read',
      'Write',
    ]);
    const probes = report.locator('details');
    expect(await probes.getAttribute('open')).toBeNull(); // collapsed
    expect(await probes.locator('li').first().isVisible()).toBe(false);
    expect(await report.textContent()).not.toContain(DOLIBARR_KEYS.admin);
    await shot('add-dialog-valid-report');
    await shot('add-dialog-valid-report-viewport', dialog);

    await dialog.getByRole('button', { name: 'Save' }).focus();
    await page.keyboard.press('Enter');
    // After Save the dialog shows what the check learned, until Done.
    const saved = dialog.getByRole('region', { name: 'Valid Saved “ERP”' });
    await saved.waitFor();
    await expect.poll(() => activeElement()).toMatchObject({ tag: 'h3', text: 'Valid Saved “ERP”' });
    expect(await saved.textContent()).toMatch(/The API key works on Dolibarr 20\.0\.2 as admin\./);
    expect(await saved.getByRole('table').getByRole('row').count()).toBeGreaterThan(1);
    await expect.poll(() => announcer().textContent()).toMatch(/Saved “ERP”: Valid\./);
    await shot('add-dialog-saved');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    const erp = card('ERP');
    await erp.waitFor();
    expect(await erp.locator('.badge').textContent()).toBe('Valid');
    expect(await erp.textContent()).toMatch(/Last checkValid, /);
    expect(await erp.textContent()).toMatch(/Next check.*\(in [5-7] hours\)/);
    // Who it acts as and what to look at, on the card itself.
    expect(await erp.textContent()).toMatch(/Acts asadmin \(SuperAdmin\), administrator/);
    expect(await erp.textContent()).toMatch(/Warnings.*Dolibarr administrator.*plain http/);
    await expect.poll(() => activeElement()).toMatchObject({ tag: 'h3', text: 'ERP' });
  });

  it('refuses to save an invalid credential and shows why, then Escape returns focus to the opener', async () => {
    await page.getByRole('button', { name: 'Add credential for Dolibarr' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Dolibarr credential' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Wrong key');
    await dialog.getByRole('textbox', { name: 'Dolibarr URL', exact: true }).fill(dol.url);
    await dialog.getByRole('textbox', { name: 'API key', exact: true }).fill('still-not-the-key');
    const answer = page.waitForResponse((r) => r.url().endsWith('/credentials') && r.status() === 422);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const { report: refusal } = (await (await answer).json()) as { report: { message: string } };
    const report = dialog.getByRole('region', { name: /Why it was not saved/ });
    await report.waitFor();
    expect(await report.locator('.badge').textContent()).toBe('Invalid');
    const apiKey = dialog.getByRole('textbox', { name: 'API key', exact: true });
    expect(await apiKey.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('.field .error:not([hidden])').textContent()).toBe(refusal.message);
    // Each message once, and no stray "null": the status says the outcome, the field says why.
    expect(await occurrences(dialog, refusal.message)).toBe(1);
    expect(await dialog.innerText()).not.toContain('null');
    expect(await dialog.locator('[role=status]').textContent()).toBe('Not saved.');
    expect(await dialog.getByText(/^Reference: /).count()).toBe(1);
    await shot('refused-save');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Add credential for Dolibarr' });
    expect(await card('Wrong key').count()).toBe(0);
  });

  it('offers "Save anyway" when the check is inconclusive, and stores the credential as unverified', async () => {
    await page.getByRole('button', { name: 'Add credential for Dolibarr' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Dolibarr credential' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Unreachable ERP');
    await dialog.getByRole('textbox', { name: 'Dolibarr URL', exact: true }).fill(UNREACHABLE_URL);
    await dialog.getByRole('textbox', { name: 'API key', exact: true }).fill(DOLIBARR_KEYS.admin);
    const answer = page.waitForResponse((r) => r.url().endsWith('/credentials') && r.status() === 503);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const { report: inconclusive } = (await (await answer).json()) as { report: { message: string } };
    const anyway = dialog.getByRole('button', { name: 'Save anyway' });
    await anyway.waitFor();
    expect(
      await dialog
        .getByRole('region', { name: /Check result/ })
        .locator('.badge')
        .textContent(),
    ).toBe('Inconclusive');
    expect(await occurrences(dialog, inconclusive.message)).toBe(1);
    expect(await dialog.innerText()).not.toContain('null');
    await anyway.click();
    await dialog.getByRole('region', { name: /Saved “Unreachable ERP”/ }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await card('Unreachable ERP').locator('.badge').textContent()).toBe('Unverified');
  });

  it('adds an Odoo 19 credential (JSON-2 with an API key)', async () => {
    await page.getByRole('button', { name: 'Add credential for Odoo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Odoo credential' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Odoo purchasing');
    await dialog.getByRole('textbox', { name: 'Odoo URL', exact: true }).fill(odoo.url);
    await dialog.getByRole('textbox', { name: 'Database', exact: true }).fill('acme');
    await dialog.getByRole('textbox', { name: 'Username', exact: true }).fill('admin');
    await dialog
      .getByRole('textbox', { name: 'API key or password', exact: true })
      .fill(ODOO_SECRETS['<KEY:ADMIN>'] ?? '');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const saved = dialog.getByRole('region', { name: /Saved “Odoo purchasing”/ });
    await saved.waitFor();
    // Vendor facts in words, never the probe's internal keys (serie, major, transport, portalUser).
    expect(await factLabels(saved)).toEqual({
      Product: 'Odoo',
      'Odoo version': '19.0',
      'Release series': '19.0',
      'Major version': '19',
      Edition: 'Community',
      'API used': 'JSON-2 API (API key)',
      'Portal (external) user': 'No',
    });
    // Each call named by what it asked: the JSON-2 URLs of read and write access are the same.
    await saved.locator('summary', { hasText: 'Calls made to the vendor' }).click();
    const labels = await saved.locator('.probes .probe__label').allTextContents();
    expect(labels).toContain('check_access_rights purchase.order write');
    expect(labels).toContain('check_access_rights purchase.order read');
    expect(new Set(labels).size).toBe(labels.length);
    await shot('odoo-saved-report', dialog);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await card('Odoo purchasing').locator('.badge').textContent()).toBe('Valid');
    await shot('desktop-list');
  });

  it('re-checks a credential now and announces the result', async () => {
    const before = await card('ERP').locator('time').first().getAttribute('datetime');
    await card('ERP').getByRole('button', { name: 'Re-check ERP' }).click();
    await expect.poll(() => announcer().textContent()).toMatch(/^Re-checked “ERP”: Valid, status Valid\./);
    expect(await card('ERP').locator('time').first().getAttribute('datetime')).not.toBe(before);
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Re-check ERP' });
  });

  it('edits the name and description with If-Match from the ETag', async () => {
    await card('ERP').getByRole('button', { name: 'Edit ERP' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit “ERP”' });
    await dialog.waitFor();
    // Secrets are never shown for editing.
    expect(await dialog.locator('input[type=password]').count()).toBe(0);
    expect(await dialog.getByRole('textbox', { name: 'Dolibarr URL', exact: true }).inputValue()).toBe(
      dol.url,
    );
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('ERP (production)');
    await dialog
      .getByRole('textbox', { name: 'Description (optional)', exact: true })
      .fill('Main ERP, purchasing and invoices');
    const patch = page.waitForRequest((request) => request.method() === 'PATCH');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const request = await patch;
    expect(request.headers()['if-match']).toMatch(/^"\d+"$/);
    expect(request.postDataJSON()).toEqual({
      name: 'ERP (production)',
      description: 'Main ERP, purchasing and invoices',
    });
    await dialog.waitFor({ state: 'detached' });
    await card('ERP (production)').waitFor();
    expect(await card('ERP (production)').textContent()).toContain('Main ERP, purchasing and invoices');
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Edit ERP (production)' });
  });

  it('re-checks an edited connection field and refuses the change when the vendor says no', async () => {
    await card('Odoo purchasing').getByRole('button', { name: 'Edit Odoo purchasing' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit “Odoo purchasing”' });
    const database = dialog.getByRole('textbox', { name: 'Database', exact: true });
    expect(await database.inputValue()).toBe('acme');
    await database.fill('no-such-db');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const report = dialog.getByRole('region', { name: /Why the change was not saved/ });
    await report.waitFor();
    expect(await report.locator('.badge').textContent()).toBe('Invalid');
    expect(await database.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => activeElement()).toMatchObject({ name: 'database' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await card('Odoo purchasing').locator('.badge').textContent()).toBe('Valid');
  });

  it('rotates the secret: a refused new key keeps the old one, a working one replaces it', async () => {
    dol.setApiKey('admin', NEW_ADMIN_KEY);
    const erp = card('ERP (production)');
    await erp.getByRole('button', { name: 'Rotate secret ERP (production)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the secret of “ERP (production)”' });
    await dialog.waitFor();
    const input = dialog.getByRole('textbox', { name: 'New API key', exact: true });
    await expect.poll(() => activeElement()).toMatchObject({ name: 'apiKey' });
    expect(await input.getAttribute('type')).toBe('password');
    expect(await dialog.locator('input').count()).toBe(1);
    await fillByKeyboard(DOLIBARR_KEYS.admin, { press: 'Enter' }); // the old key: no longer valid
    const refused = dialog.getByRole('region', { name: /Why the new value was not used/ });
    await refused.waitFor();
    expect(await refused.locator('.badge').textContent()).toBe('Invalid');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => activeElement()).toMatchObject({ name: 'apiKey' });
    expect(await occurrences(dialog, /Dolibarr refused the API key/)).toBe(1);
    expect(await dialog.innerText()).not.toContain('null');
    expect(await dialog.locator('[role=status]').textContent()).toBe(
      'Not rotated: the current secret stays in use.',
    );

    await fillByKeyboard({ press: 'ControlOrMeta+a' }, NEW_ADMIN_KEY, { press: 'Enter' });
    const rotated = dialog.getByRole('region', { name: /Rotated: the new value works/ });
    await rotated.waitFor();
    expect(await rotated.locator('.badge').textContent()).toBe('Valid');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Rotate secret ERP (production)' });
    await expect.poll(() => announcer().textContent()).toMatch(/^Rotated the secret of “ERP \(production\)”/);
    expect(await erp.locator('.badge').textContent()).toBe('Valid');
  });

  it('shows the check history, newest first', async () => {
    await card('ERP (production)').getByRole('button', { name: 'History ERP (production)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Check history of “ERP (production)”' });
    const table = dialog.getByRole('table');
    await expect.poll(() => table.locator(':scope > tbody > tr').count()).toBe(3);
    const triggers = await table.locator(':scope > tbody > tr > td:nth-child(2)').allTextContents();
    expect(triggers).toEqual(['Secret rotated', 'Re-checked', 'Created']);
    expect(await table.locator('tbody details[open]').count()).toBe(0);
    await table.locator(':scope > tbody > tr').first().locator('summary', { hasText: 'Full report' }).click();
    expect(await table.locator(':scope > tbody > tr').first().getByRole('region').textContent()).toMatch(
      /Valid/,
    );
    await shot('history');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('deletes only after confirmation, with Cancel focused first', async () => {
    const target = card('Unreachable ERP');
    await target.getByRole('button', { name: 'Delete Unreachable ERP' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete “Unreachable ERP”?' });
    await confirm.waitFor();
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Cancel' });
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await target.count()).toBe(1);

    await target.getByRole('button', { name: 'Delete Unreachable ERP' }).click();
    await shot('delete-confirmation', page.getByRole('alertdialog'));
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete Unreachable ERP' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(() => target.count()).toBe(0);
    await expect.poll(() => announcer().textContent()).toBe('Deleted “Unreachable ERP”.');
    await expect.poll(() => activeElement()).toMatchObject({ id: 'credentials-title' });
    const listed = await fetch(`${server.url}/credentials`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(2);
  });

  it('names the fix for a private address the server may not call, and blames no field for it', async () => {
    await page.getByRole('button', { name: 'Add credential for Dolibarr' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Dolibarr credential' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('LAN ERP');
    const url = dialog.getByRole('textbox', { name: 'Dolibarr URL', exact: true });
    await url.fill(LAN_URL);
    await dialog.getByRole('textbox', { name: 'API key', exact: true }).fill(DOLIBARR_KEYS.admin);
    await dialog.getByRole('button', { name: 'Test' }).click();
    const tested = dialog.getByRole('region', { name: /Test result/ });
    await tested.waitFor();
    expect(await tested.locator('.badge').textContent()).toBe('Inconclusive');
    const message = (await tested.locator('.report__message').textContent()) ?? '';
    expect(message).toContain('EGRESS_ALLOW=10.255.0.7/32 (or 10.255.0.0/24 for its network)');
    expect(message).toContain('--egress-allow 10.255.0.7/32');
    // The URL is right: nothing points the person at it.
    expect(await dialog.getByText('What to fix:').count()).toBe(0);
    expect(await url.getAttribute('aria-invalid')).toBeNull();

    // Saving it is a configuration answer (422 naming EGRESS_ALLOW), not "try again later".
    const answer = page.waitForResponse(
      (r) => r.url().endsWith('/credentials') && r.request().method() === 'POST',
    );
    await dialog.getByRole('button', { name: 'Save' }).click();
    const refused = await answer;
    expect(refused.status()).toBe(422);
    expect(await refused.headerValue('retry-after')).toBeNull();
    expect(((await refused.json()) as { code: string }).code).toBe('destination_not_allowed');
    const report = dialog.getByRole('region', { name: /Why it was not saved/ });
    await report.waitFor();
    expect(await dialog.locator('[role=status]').textContent()).toBe('Not saved.');
    expect(await dialog.getByRole('button', { name: 'Save anyway' }).count()).toBe(0);
    expect(await occurrences(dialog, message)).toBe(1);
    expect(await dialog.innerText()).not.toContain('null');
    await shot('blocked-destination', dialog);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows a running Test and Save: the other actions disabled, the seconds counting, a Cancel that aborts', async () => {
    await page.getByRole('button', { name: 'Add credential for Dolibarr' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Dolibarr credential' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Slow refusal');
    await dialog.getByRole('textbox', { name: 'Dolibarr URL', exact: true }).fill(slowDol.url);
    await dialog.getByRole('textbox', { name: 'API key', exact: true }).fill('not-a-key-of-the-slow-erp');
    const testButton = dialog.getByRole('button', { name: 'Test' });
    const saveButton = dialog.getByRole('button', { name: 'Save' });
    const status = dialog.locator('[role=status]');
    const timer = dialog.getByRole('timer');

    const aborted = page.waitForEvent('requestfailed', (r) => r.url().endsWith('/validations'));
    await testButton.click();
    await expect.poll(() => status.textContent()).toBe('Testing with the vendor…');
    expect(await saveButton.isDisabled()).toBe(true);
    expect(await testButton.isDisabled()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Cancel', exact: true }).isDisabled()).toBe(false);
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Cancel check' });
    const started = await timer.textContent();
    expect(started).toMatch(/^\d+ s elapsed$/);
    await expect.poll(() => timer.textContent(), { timeout: 5_000 }).not.toBe(started);
    await shot('test-running', dialog);
    await page.keyboard.press('Enter'); // Cancel check
    expect((await aborted).failure()?.errorText).toMatch(/ABORTED/);
    await expect.poll(() => status.textContent()).toBe('Test cancelled: nothing was stored.');
    expect(await timer.count()).toBe(0);
    expect(await saveButton.isDisabled()).toBe(false);
    expect(await dialog.getByRole('region').count()).toBe(0);
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Test' });

    // Left to run, the check ends in its verdict and the actions come back.
    await testButton.click();
    expect(await saveButton.isDisabled()).toBe(true);
    await dialog.getByRole('region', { name: /Test result/ }).waitFor({ timeout: SLOW_MS + 5_000 });
    expect(await saveButton.isDisabled()).toBe(false);

    // Save shows the same progress, with Test disabled meanwhile.
    const isSave = (r: { url(): string; method(): string }) =>
      r.url().endsWith('/credentials') && r.method() === 'POST';
    const firstSave = page.waitForRequest(isSave);
    await saveButton.click();
    await expect.poll(() => status.textContent()).toBe('Checking with the vendor, then saving…');
    expect(await testButton.isDisabled()).toBe(true);
    expect(await timer.isVisible()).toBe(true);
    await dialog.getByRole('region', { name: /Why it was not saved/ }).waitFor({ timeout: SLOW_MS + 5_000 });
    expect(await testButton.isDisabled()).toBe(false);
    expect(await timer.count()).toBe(0);

    // Saving the same again (as after a cancelled save) reuses the Idempotency-Key: never stored twice.
    const secondSave = page.waitForRequest(isSave);
    await saveButton.click();
    const key = (await firstSave).headers()['idempotency-key'];
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect((await secondSave).headers()['idempotency-key']).toBe(key);
    await dialog.getByRole('button', { name: 'Cancel check' }).click();
    await expect.poll(() => status.textContent()).toMatch(/^Stopped waiting\. The server may still finish/);

    // Closing the dialog abandons its request too.
    const abandoned = page.waitForEvent('requestfailed', (r) => r.url().endsWith('/validations'));
    await testButton.click();
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Cancel check' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await abandoned).failure()?.errorText).toMatch(/ABORTED/);
  });

  it('shows a running re-check on its card, with the seconds counting and a Cancel that aborts it', async () => {
    const created = await fetch(`${server.url}/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        connector: 'dolibarr',
        name: 'Slow ERP',
        fields: { baseUrl: slowDol.url, apiKey: DOLIBARR_KEYS.admin },
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await page.getByRole('button', { name: 'Refresh' }).click();
    const slow = card('Slow ERP');
    await slow.waitFor();
    slowDol.setApiKey('admin', 'moved-on-admin-key-7c1d'); // the stored key is now refused, slowly

    const aborted = page.waitForEvent('requestfailed', (r) =>
      r.url().endsWith(`/credentials/${id}/validate`),
    );
    await slow.getByRole('button', { name: 'Re-check Slow ERP' }).click();
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Cancel check Slow ERP' });
    expect(await slow.textContent()).toContain('Re-checking…');
    const timer = slow.getByRole('timer');
    const started = await timer.textContent();
    expect(started).toMatch(/^\d+ s elapsed$/);
    await expect.poll(() => timer.textContent(), { timeout: 5_000 }).not.toBe(started);
    await shot('recheck-running', slow);
    await page.keyboard.press('Enter');
    expect((await aborted).failure()?.errorText).toMatch(/ABORTED/);
    await expect
      .poll(() => announcer().textContent())
      .toMatch(/^Stopped waiting for the re-check of “Slow ERP”/);
    expect(await timer.count()).toBe(0);
    await expect.poll(() => activeElement()).toMatchObject({ text: 'Re-check Slow ERP' });

    // The server finishes the check it started; then the vendor gets its key back.
    await expect
      .poll(
        async () => {
          const answer = await fetch(`${server.url}/credentials/${id}/checks`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          return ((await answer.json()) as { items: unknown[] }).items.length;
        },
        { timeout: SLOW_MS + 5_000 },
      )
      .toBe(2);
    slowDol.setApiKey('admin', DOLIBARR_KEYS.admin);
  });

  it('shows a valid key that can read nothing in amber, with its warning, in the report and on the card', async () => {
    await page.getByRole('button', { name: 'Add credential for Dolibarr' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Dolibarr credential' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Reads nothing');
    await dialog.getByRole('textbox', { name: 'Dolibarr URL', exact: true }).fill(dol.url);
    await dialog.getByRole('textbox', { name: 'API key', exact: true }).fill(DOLIBARR_KEYS.noRights);
    await dialog.getByRole('button', { name: 'Test' }).click();
    const tested = dialog.getByRole('region', { name: /Test result/ });
    await tested.waitFor();
    expect(await tested.locator('.badge').textContent()).toBe('Valid, needs attention');
    expect(await tested.getAttribute('class')).toContain('report--attention');
    expect(await tested.textContent()).toMatch(
      /may read none of the resources checked \(thirdparties\).*no_read_access/,
    );
    expect(await dialog.locator('[role=status]').textContent()).toBe('Test result: Valid, needs attention.');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('region', { name: /Saved “Reads nothing”/ }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });

    const amber = card('Reads nothing');
    expect(await amber.locator('.badge').textContent()).toBe('Valid, needs attention');
    expect(await amber.textContent()).toMatch(/Warnings.*may read none of the resources checked/);
    const edge = (name: string) => card(name).evaluate((el) => getComputedStyle(el).borderLeftColor);
    const green = await edge('ERP (production)');
    expect(await card('ERP (production)').locator('.badge').textContent()).toBe('Valid');
    expect(await edge('Reads nothing')).not.toBe(green);
    expect(await edge('Reads nothing')).toBe('rgb(191, 135, 0)'); // amber, like a degraded credential
    await shot('amber-card', amber);
  });

  it('passes the accessibility sanity checks on the list and in every dialog, and shows focus', async () => {
    expect(await unnamedControls()).toEqual([]);
    expect(await domAudit()).toEqual([]);
    for (const name of [
      'Edit ERP (production)',
      'Rotate secret ERP (production)',
      'History ERP (production)',
    ]) {
      await page.getByRole('button', { name }).click();
      await page.locator('dialog[open]').waitFor();
      await page.waitForTimeout(100);
      expect({ name, unnamed: await unnamedControls(), dom: await domAudit() }).toEqual({
        name,
        unnamed: [],
        dom: [],
      });
      await page.keyboard.press('Escape');
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
    }
    // Keyboard focus is visible (an outline, not the browser default being removed).
    await page.getByRole('button', { name: 'Refresh' }).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as PageElement).outlineStyle,
    );
    expect(outline).toBe('solid');
  });

  it('fits a 375 px phone: no horizontal scroll on the page or in a dialog with a report', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await card('ERP (production)').waitFor();
    expect(await horizontalOverflow()).toEqual({ page: 0, dialog: 0 });
    await shot('phone-list');
    await page.getByRole('button', { name: 'Add credential for Odoo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Odoo credential' });
    await dialog.getByRole('textbox', { name: 'Odoo URL', exact: true }).fill(`${odoo.url}/odoo/action-foo`);
    await dialog.getByRole('textbox', { name: 'Database', exact: true }).fill('acme');
    await dialog.getByRole('textbox', { name: 'Username', exact: true }).fill('reader@example.com');
    await dialog
      .getByRole('textbox', { name: 'API key or password', exact: true })
      .fill(ODOO_SECRETS['<KEY:READER>'] ?? '');
    await dialog.locator('summary', { hasText: 'Advanced options' }).click();
    await dialog
      .getByRole('textbox', { name: 'Required access (optional)', exact: true })
      .fill('res.partner:read\npurchase.order:read,write');
    await shot('phone-dialog-form', dialog);
    await dialog.getByRole('button', { name: 'Test' }).click();
    const report = dialog.getByRole('region', { name: /Test result/ });
    await report.waitFor();
    await report.locator('summary').click(); // open the probes: long URLs must wrap too
    expect(await horizontalOverflow()).toEqual({ page: 0, dialog: 0 });
    await report.scrollIntoViewIfNeeded();
    await shot('phone-dialog-report', dialog);
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a credential a CloudFormation stack registered: where it is defined, and no Rotate (its owner keeps the secret)', async () => {
    // The local server registers nothing (that is an AWS feature): the list answer is the server's own, with one
    // credential marked as the API marks a registered one.
    await page.route(/\/credentials(\?.*)?$/, async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { items: Array<Record<string, unknown>> };
      for (const item of body.items) {
        if (item.name !== 'ERP (production)') continue;
        item.secretArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:erp/dolibarr-AbCdEf';
        item.managedBy = {
          stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/erp-integration/0a1b2c3d-4e5f',
          logicalResourceId: 'DolibarrCheck5C0E7B1A',
        };
      }
      await route.fulfill({ response: answer, json: body });
    });
    await page.reload();
    const registered = card('ERP (production)');
    await registered.waitFor();
    const facts = Object.fromEntries(
      await registered
        .locator('dl.facts dt')
        .evaluateAll((terms) => terms.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])),
    );
    expect(facts['Defined in']).toBe('stack erp-integration, resource DolibarrCheck5C0E7B1A');
    expect(facts.Secret).toBe('kept by its owner in Secrets Manager: rotate it there');
    expect(await registered.getByRole('button', { name: 'Rotate secret ERP (production)' }).count()).toBe(0);
    expect(await registered.getByRole('button', { name: 'Edit ERP (production)' }).count()).toBe(1);
    await page.unrouteAll();
    await page.reload();
    await card('ERP (production)').getByRole('button', { name: 'Rotate secret ERP (production)' }).waitFor();
  });

  it('goes back to sign-in when the API answers 401, and signs out on request', async () => {
    await page.evaluate(() => sessionStorage.setItem('credval.token', 'revoked-token-0000'));
    await page.reload();
    await page.locator('#sign-in-view').waitFor();
    expect(await page.locator('#token-error').textContent()).toMatch(/401/);
    await expect.poll(() => activeElement()).toMatchObject({ id: 'token' });
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await card('ERP (production)').waitFor();

    // A token revoked while the page is open (simulated: the server's tokens are fixed for its lifetime): the
    // next call lands on sign-in with the API's detail, and the open dialog is closed.
    await page.route(/\/credentials\/[^/]+\/checks/, (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 401, code: 'unauthorized', detail: 'The token has expired.' }),
      }),
    );
    await page.getByRole('button', { name: 'History ERP (production)' }).click();
    await page.locator('#sign-in-view').waitFor();
    await expect.poll(() => page.locator('dialog').count()).toBe(0);
    expect(await page.locator('#token-error').textContent()).toMatch(
      /refused the token \(401\): The token has expired\./,
    );
    expect(await page.evaluate(() => sessionStorage.getItem('credval.token'))).toBeNull();
    await page.unrouteAll();

    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await card('ERP (production)').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#sign-in-view').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('credval.token'))).toBeNull();
    expect(await page.locator('#credential-list li').count()).toBe(0);
  });

  it('logged no CSP violation, Trusted Types error or script error', () => {
    expect(consoleProblems).toEqual([]);
  });
});
