// The tenant-centric views: a tenant's baseline fails against a real HTTP
// server answering 503; its Overview shows the failure, the availability
// against the target and the pass-rate chart; the organisation view
// (/health) ranks it with its reasons and filters by region; the vendor
// sets the service-level targets with field errors first. Pages render on
// the server: the ranking is checked with JavaScript off too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, activate, failingService, probeFailingOnce, BASE_URL, SCREENSHOTS } from './browser.mjs';

test('a failing tenant shows on its overview, in the trouble ranking and against the targets', async () => {
  const service = await failingService();
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'troubled-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Troubled Co' });
    await activate(page, slug);
    await probeFailingOnce(page, slug, service.url);

    // The overview: the failing run, 0 % against 99.9 %, the chart.
    await page.goto(`${BASE_URL}/tenants/${slug}`);
    await page.getByTestId('tenant-overview').waitFor();
    assert.equal((await page.getByTestId('overview-availability').textContent()).trim(), '0.00 %');
    // The periodic validation probes a new address at once as well: one
    // failed run or two, depending on who came first.
    assert.match(await page.getByTestId('overview-last-run').textContent(), /Failed \([12] in a row\)/);
    assert.match(await page.getByTestId('overview-trouble').textContent(), /Health baseline failed [12] time/);
    assert.match(await page.getByTestId('overview-failing-checks').textContent(), /Failing now/);
    await page.getByTestId('overview-health-chart').locator('svg').waitFor();
    assert.match(await page.getByTestId('overview-no-flight').textContent(), /Nothing in flight/);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}tenant-overview.png`, fullPage: true });

    // The organisation view ranks it, and the region filter keeps it.
    await page.goto(`${BASE_URL}/health`);
    const row = page.getByTestId('trouble-table').locator(`tr[data-slug="${slug}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /Health baseline failed/);
    assert.match(await row.textContent(), /Availability 0\.00 %/);
    const region = (await row.locator('td').nth(3).textContent()).trim();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}tenant-health.png`, fullPage: true });
    await page.getByLabel('Region', { exact: true }).selectOption(region);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/region=/);
    await page.getByTestId('trouble-table').locator(`tr[data-slug="${slug}"]`).waitFor();

    // Service levels: a bad target is refused at its field, a good one kept.
    await page.goto(`${BASE_URL}/service-levels`);
    await page.getByTestId('slo-figures').waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByLabel('API p95 under (ms)').fill('0');
    await page.getByRole('button', { name: 'Save targets' }).click();
    await page.locator('.field-invalid').filter({ hasText: 'whole milliseconds' }).waitFor();
    await page.getByLabel('API p95 under (ms)').fill('300');
    await page.getByLabel('Availability (%)').fill('99.5');
    await page.getByRole('button', { name: 'Save targets' }).click();
    await page.getByTestId('slo-saved').waitFor();
    await page.goto(`${BASE_URL}/service-levels`);
    assert.equal(await page.getByLabel('API p95 under (ms)').inputValue(), '300');
    assert.match(await page.getByTestId('slo-figures').textContent(), /target under 300 ms/);
    assert.match(await page.getByTestId('slo-below').textContent(), new RegExp('Troubled Co'));
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}service-levels.png`, fullPage: true });
  } finally {
    await context.close();
    await service.close();
  }

  // Without JavaScript the ranking and the overview render on the server.
  const bare = await launch({ javaScriptEnabled: false });
  try {
    await signIn(bare.page);
    await bare.page.goto(`${BASE_URL}/health`);
    await bare.page.getByTestId('trouble-table').locator(`tr[data-slug="${slug}"]`).waitFor();
    await bare.page.goto(`${BASE_URL}/tenants/${slug}`);
    await bare.page.getByTestId('overview-availability').waitFor();
  } finally {
    await bare.context.close();
  }
});
