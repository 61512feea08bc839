// Shared set-up: Debian's chromium driven by playwright-core, never a downloaded browser.
import http from 'node:http';
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASE_URL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
export const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL;
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
export const SCREENSHOTS = new URL('../screenshots/', import.meta.url).pathname;

export async function launch({ javaScriptEnabled = true } = {}) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tenantry-e2e-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  return { context, page };
}

export async function signIn(page) {
  await page.goto(`${BASE_URL}/login`);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

// Walks the onboarding wizard: record → contacts → placement → review → create.
export async function onboard(page, { slug, name, customer = 'Acme Corp', contact = '', crm = '', labels = '',
  plan = 'professional', region = 'eu-central-1', allowed = 'eu-central-1', kind = '' }) {
  await page.goto(`${BASE_URL}/tenants/new`);
  await page.getByLabel('Customer').fill(customer);
  if (kind) await page.getByLabel('Deployment kind').selectOption(kind);
  await page.getByLabel('Display name').fill(name);
  await page.getByLabel('Slug').fill(slug);
  await page.getByLabel('Labels').fill(labels);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Technical contact').fill(contact);
  await page.getByLabel('CRM id').fill(crm);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Plan').selectOption(plan);
  await page.locator('#field-region').selectOption(region);
  await page.getByLabel('Allowed regions').fill(allowed);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByTestId('review-slug').filter({ hasText: slug }).waitFor();
  await page.getByRole('button', { name: 'Create draft tenant' }).click();
  await page.waitForURL(`${BASE_URL}/tenants/${slug}`);
}

// Activates a freshly onboarded tenant (its tenant page open) and waits
// until the page says it is active.
export async function activate(page, slug) {
  await page.locator('button[data-action="activate"]').click();
  let state = '';
  for (let i = 0; i < 20 && !state.includes('Active'); i++) {
    await page.waitForTimeout(500);
    await page.goto(`${BASE_URL}/tenants/${slug}`);
    state = (await page.getByTestId('tenant-state').textContent()).trim();
  }
  return state;
}

// A tenant's own service that is down: every request answers 503.
export function failingService() {
  const server = http.createServer((req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('down');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => server.close(done)),
    });
  }));
}

// Points the tenant's health checks at `url` on its Health tab and runs
// them once, waiting for the failed run.
export async function probeFailingOnce(page, slug, url) {
  await page.goto(`${BASE_URL}/tenants/${slug}/health`);
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Base URL').fill(url);
  await page.getByRole('button', { name: 'Save address' }).click();
  await page.getByTestId('health-address').filter({ hasText: url }).waitFor();
  await page.waitForLoadState('networkidle');
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.getByTestId('health-last').getByText('Failed').waitFor();
}
