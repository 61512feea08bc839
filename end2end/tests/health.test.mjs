// A tenant's Health tab: the vendor sets where the tenant answers (a real
// HTTP server started here), a failing run and a passing one show in the
// last runs, the failing checks and the pass-rate chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch, signIn, onboard, activate, BASE_URL, SCREENSHOTS } from './browser.mjs';

function tenantService() {
  const service = { status: 200 };
  const server = http.createServer((req, res) => {
    res.writeHead(service.status, { 'content-type': 'text/plain' });
    res.end('hello');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    service.url = `http://127.0.0.1:${server.address().port}`;
    service.close = () => new Promise((done) => server.close(done));
    resolve(service);
  }));
}

test('the Health tab after a failing and a passing run', async () => {
  const service = await tenantService();
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'healthy-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Healthy Co' });
    const state = await activate(page, slug);
    assert.match(state, /Active/);

    await page.getByRole('navigation', { name: 'Tenant sections' }).getByRole('link', { name: 'Health' }).click();
    await page.waitForURL(`${BASE_URL}/tenants/${slug}/health`);
    await page.getByTestId('health-runs-empty').waitFor();
    await page.waitForLoadState('networkidle');

    // A bad address is refused at its field.
    await page.getByLabel('Base URL').fill('ftp://healthy.example');
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.locator('#field-base_url[aria-invalid="true"]').waitFor();
    await page.getByLabel('Base URL').fill(service.url);
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.getByTestId('health-address').filter({ hasText: service.url }).waitFor();

    service.status = 503;
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('health-failing').getByText('Status 503, expected 200', { exact: false }).waitFor();
    await page.getByTestId('health-last').getByText('Failed').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}tenant-health-failing.png`, fullPage: true });

    service.status = 200;
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('health-last').getByText('Passed').waitFor();
    assert.equal(await page.getByTestId('health-failures').textContent(), '0 of 3');
    const runs = page.getByTestId('health-runs');
    await runs.getByText('Failed').first().waitFor();
    await runs.getByText('Passed').first().waitFor();
    await page.getByTestId('pass-rate-chart').locator('svg rect.chart-bar').first().waitFor();
    assert.match(await page.getByTestId('health-pass-rate').textContent(), /\d+ %/);
    await page.screenshot({ path: `${SCREENSHOTS}tenant-health-passing.png`, fullPage: true });
  } finally {
    await context.close();
    await service.close();
  }
});
