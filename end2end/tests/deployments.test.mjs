// Blue-green in the browser, on a demo edge deployment behind the traffic
// simulator: a platform admin tunes the switch settings, starts a switch and
// watches it move traffic step by step until green is live; rolls it back by
// hand (after a confirmation) so blue is live again; then injects 30 %
// errors into green and sees the next switch roll itself back with the
// reason on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

const stamp = Date.now().toString(36);
const product = `bg-gateway-${stamp}`;
const productName = `BG Gateway ${stamp}`;
const tenant = `bg-${stamp}`;
const isoDay = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

async function waitForSwitch(page, wanted, timeout = 150000) {
  await page.getByTestId('switch-status').locator(`[data-status="${wanted}"]`).waitFor({ timeout });
}

async function startSwitch(page) {
  const select = page.locator('[id="field-form[version]"]');
  const options = await select.locator('option').evaluateAll((all) => all.map((o) => o.value).filter(Boolean));
  assert.ok(options.length > 0, 'a release to switch to');
  await select.selectOption(options[0]);
  await page.getByRole('button', { name: 'Start switch' }).click();
  return options[0];
}

test('a blue-green switch completes step by step, rolls back by hand, and rolls itself back on errors', async () => {
  const { context, page } = await launch();
  try {
    await signIn(page);

    // A product with two releases, and an edge tenant.
    await page.goto(`${BASE_URL}/releases`);
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Key').fill(product);
    await page.locator('#field-name').fill(productName);
    await page.getByRole('button', { name: 'Add product' }).click();
    await page.getByTestId(`product-${product}`).waitFor();
    for (const version of ['1.0.0', '1.1.0']) {
      await page.locator('[id="field-form[product_id]"]').selectOption({ label: productName });
      await page.locator('[id="field-form[version]"]').fill(version);
      await page.getByLabel('Released on').fill(isoDay(-30));
      await page.getByRole('button', { name: 'Save release' }).click();
      await page.getByTestId(`product-${product}`).getByTestId('release-table').getByText(version, { exact: true }).waitFor();
    }
    await onboard(page, { slug: tenant, name: `Edge ${stamp}`, kind: 'edge' });
    // Only an active tenant is upgraded, and a switch is its upgrade.
    await page.locator('button[data-action="activate"]').click();
    let state = '';
    for (let i = 0; i < 20 && !state.includes('Active'); i++) {
      await page.waitForTimeout(500);
      await page.goto(`${BASE_URL}/tenants/${tenant}`);
      state = (await page.getByTestId('tenant-state').textContent()).trim();
    }
    assert.match(state, /Active/);

    // Put it on blue-green with the traffic simulator.
    await page.goto(`${BASE_URL}/deployments`);
    await page.waitForLoadState('networkidle');
    const form = page.getByTestId('deployment-form');
    await form.locator('[id="field-form[tenant]"]').selectOption(tenant);
    await form.locator('[id="field-form[product]"]').selectOption(product);
    await form.locator('[id="field-form[version]"]').fill('1.0.0');
    await form.getByRole('button', { name: 'Create deployment' }).click();
    await page.getByRole('heading', { name: 'Slots and traffic' }).waitFor();
    await page.goto(`${BASE_URL}/deployments?q=${tenant}`);
    const table = page.getByTestId('deployments-table');
    await table.locator(`tr[data-tenant="${tenant}"]`).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}deployments-fleet.png`, fullPage: true });
    await table.locator(`tr[data-tenant="${tenant}"]`).getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Slots and traffic' }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getByTestId('weight-blue').textContent(), '100 %');

    // The product's health baseline: a bad line is refused with its reason.
    const baseline = page.getByTestId('baseline-form');
    await baseline.getByLabel('Checks, one per line').fill('Responds | / | OK | | 1000');
    await baseline.getByRole('button', { name: 'Save baseline' }).click();
    await page.getByText("Line 1: 'OK' is not an HTTP status.").first().waitFor();
    await baseline.getByLabel('Checks, one per line').fill('Responds | /healthz | 200 | | 1000');
    await baseline.getByRole('button', { name: 'Save baseline' }).click();
    await page.getByText('Baseline saved.').waitFor();
    await page.getByText('GET /healthz → 200').waitFor();

    // Short steps for the test, and more synthetic traffic to judge.
    const settings = page.getByTestId('settings-form');
    await settings.getByLabel('Traffic steps (%)').fill('10, 50, 100');
    await settings.getByLabel('Bake time per step (s)').fill('2');
    await settings.getByLabel('Monitoring interval (s)').fill('1');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved').waitFor();
    const simulation = page.getByTestId('simulation-form');
    await simulation.getByLabel('Requests per second').fill('1000');
    await simulation.getByRole('button', { name: 'Apply' }).click();
    await page.waitForLoadState('networkidle');

    // A healthy switch: green takes traffic step by step and goes live.
    const version = await startSwitch(page);
    assert.equal(version, '1.1.0');
    await page.getByTestId('switch').waitFor();
    await page.locator('[data-testid="split"][data-green="10"]').waitFor({ timeout: 60000 });
    await page.screenshot({ path: `${SCREENSHOTS}deployment-switching.png`, fullPage: true });
    await waitForSwitch(page, 'completed');
    assert.match(await page.getByTestId('live-slot').textContent(), /Green live/);
    assert.equal(await page.getByTestId('live-version').textContent(), version);
    assert.equal(await page.getByTestId('weight-green').textContent(), '100 %');
    assert.ok(await page.locator('svg.chart-series').count() >= 2, 'error-rate and latency charts');
    await page.screenshot({ path: `${SCREENSHOTS}deployment-completed.png`, fullPage: true });

    // Instant rollback by hand, after a confirmation.
    await page.locator('a[data-action="rollback"]').click();
    await page.getByRole('alertdialog').waitFor();
    await page.locator('button[data-action="confirm-rollback"]').click();
    await waitForSwitch(page, 'rolled_back', 20000);
    assert.match(await page.getByTestId('live-slot').textContent(), /Blue live/);
    assert.equal(await page.getByTestId('weight-blue').textContent(), '100 %');

    // Green fails 30 % of its requests: the next switch rolls itself back.
    await simulation.getByLabel('Green error rate (%)').fill('30');
    await simulation.getByRole('button', { name: 'Apply' }).click();
    await page.waitForLoadState('networkidle');
    await startSwitch(page);
    await page.getByTestId('switch-status').locator('[data-status="preparing"], [data-status="validating"], [data-status="shifting"]').waitFor({ timeout: 20000 });
    await waitForSwitch(page, 'rolled_back');
    const reason = await page.getByTestId('switch-reason').textContent();
    assert.match(reason, /Automatic rollback at step 1 \(10 %\): Error rate/);
    assert.equal(await page.getByTestId('weight-blue').textContent(), '100 %');
    await page.screenshot({ path: `${SCREENSHOTS}deployment-auto-rollback.png`, fullPage: true });
  } finally {
    await context.close();
  }
});
