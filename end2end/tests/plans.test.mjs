// Plans that act, in the browser: the vendor creates a plan (a bad quota is
// refused at its field first), moves a tenant onto it with a plan change
// (a change request the executor runs), overrides a quota with a reason,
// and the tenant's Limits tab shows the limits in force beside its usage.
// Pages render on the server: the catalogue is checked with JavaScript off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

test('a plan is created, a tenant moved onto it, a quota overridden and usage shown', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'limits-co';
  try {
    await signIn(page);

    // A licence template, for the assignment below.
    await page.goto(`${BASE_URL}/plans`);
    await page.getByTestId('licence-template-form').waitFor();
    await page.waitForLoadState('networkidle');
    const templates = page.getByTestId('licence-template-form');
    await templates.getByLabel('Key').fill('pilot-annual');
    await templates.getByLabel('Template name').fill('Pilot annual');
    await templates.getByLabel('Type').selectOption('subscription');
    await templates.getByLabel('Seats').fill('25');
    await templates.getByLabel('Term (days)').fill('365');
    await templates.getByLabel('Licensed features').fill('offline-mode');
    await templates.getByRole('button', { name: 'Save template' }).click();
    await page.getByTestId('template-pilot-annual').waitFor();

    // The catalogue: the seeded plans, then a new one.
    await page.goto(`${BASE_URL}/plans`);
    await page.getByTestId('plan-starter').waitFor();
    await page.waitForLoadState('networkidle');
    const form = page.getByTestId('plan-form');
    await form.getByLabel('Code').fill('pilot-plan');
    await form.getByLabel('Name').fill('Pilot');
    await form.getByLabel('Users', { exact: true }).fill('-1');
    await form.getByRole('button', { name: 'Create plan' }).click();
    await page.locator('.field-error').filter({ hasText: 'is not a limit' }).first().waitFor();
    // Filled again: before hydration the form posts natively and comes back empty.
    await form.getByLabel('Code').fill('pilot-plan');
    await form.getByLabel('Name').fill('Pilot');
    await form.getByLabel('Users', { exact: true }).fill('3');
    await form.getByLabel('Endpoints', { exact: true }).fill('2');
    await form.getByLabel('Webhook endpoints').fill('1');
    await form.getByLabel('Storage (GB)').fill('20');
    await form.getByLabel('Audit log export').check();
    await form.getByRole('button', { name: 'Create plan' }).click();
    await page.getByTestId('plan-pilot-plan').waitFor();
    assert.match(await page.getByTestId('plan-pilot-plan').textContent(), /audit_export/);
    await page.goto(`${BASE_URL}/plans`);
    await page.getByTestId('plan-pilot-plan').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}plans.png`, fullPage: true });

    // A tenant moves onto it by a plan change the executor runs.
    await onboard(page, { slug, name: 'Limits Co', plan: 'starter' });
    await page.goto(`${BASE_URL}/tenants/${slug}/limits`);
    await page.getByTestId('quota-table').waitFor();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('tenant-plan').textContent(), /starter/);
    await page.getByTestId('plan-change-form').getByLabel('New plan').selectOption('pilot-plan');
    await page.getByRole('button', { name: 'Request plan change' }).click();
    await page.waitForURL(/\/changes\//);
    let plan = '';
    for (let i = 0; i < 40 && !plan.includes('pilot-plan'); i++) {
      await page.waitForTimeout(500);
      await page.goto(`${BASE_URL}/tenants/${slug}/limits`);
      plan = await page.getByTestId('tenant-plan').textContent();
    }
    assert.match(plan, /pilot-plan/);

    // Storage readings pushed by the installation (the API, as an
    // orchestrator would): a chart against the 20 GB quota.
    const pushed = await page.evaluate(async (slug) => {
      const day = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 19) + 'Z';
      const records = [12, 15, 18].map((gb, i) => ({ id: `e2e-${i}`, tenant: slug, meter: 'storage_gb', quantity: gb, at: day(2 - i) }));
      const response = await fetch('/api/v1/usage', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
      return [response.status, await response.json()];
    }, slug);
    assert.deepEqual(pushed, [200, { accepted: 3, duplicates: 0 }]);
    await page.goto(`${BASE_URL}/tenants/${slug}/limits`);
    await page.getByTestId('usage-storage_gb').locator('svg').waitFor();
    assert.match(await page.getByTestId('usage-storage_gb').textContent(), /latest 18 of 20/);
    assert.match(await page.getByTestId('quota-storage_gb').textContent(), /18 of 20.*Near quota/s);
    await page.waitForLoadState('networkidle');

    // An override needs a reason; with one it is in force and shown.
    await page.waitForLoadState('networkidle');
    const override = page.getByTestId('override-form');
    await override.getByLabel('Quota').selectOption('users');
    await override.getByLabel('Limit').fill('5');
    await override.getByRole('button', { name: 'Save override' }).click();
    await page.locator('.field-error').filter({ hasText: 'Say why' }).first().waitFor();
    // Filled again: before hydration the form posts natively and comes back empty.
    await override.getByLabel('Quota').selectOption('users');
    await override.getByLabel('Limit').fill('5');
    await override.getByLabel('Reason').fill('Pilot extension');
    await override.getByRole('button', { name: 'Save override' }).click();
    await page.getByTestId('quota-users').filter({ hasText: 'Override: Pilot extension' }).waitFor();
    const users = await page.getByTestId('quota-users').textContent();
    assert.match(users, /5/);
    assert.match(await page.getByTestId('quota-endpoints').textContent(), /0 of 2/);
    assert.match(await page.getByTestId('tenant-features').textContent(), /Included.*Audit log export/s);

    // A licence ending in five days shows as expiring, with its signed document.
    const soon = new Date(Date.now() + 5 * 86400000).toISOString().slice(0, 10);
    const assign = page.getByTestId('assign-licence-form');
    await assign.getByLabel('Template').selectOption('pilot-annual');
    await assign.getByLabel('Valid to').fill(soon);
    await assign.getByRole('button', { name: 'Assign licence' }).click();
    const licence = page.getByTestId('licence-pilot-annual');
    await licence.waitFor();
    assert.equal((await licence.getByTestId('licence-status').textContent()).trim(), 'Expiring');
    assert.match(await licence.textContent(), new RegExp(soon));
    await page.screenshot({ path: `${SCREENSHOTS}tenant-limits.png`, fullPage: true });

    // The organisation's usage this month: the meter's daily totals and the top tenants.
    await page.goto(`${BASE_URL}/usage`);
    await page.getByTestId('org-usage-charts').locator('svg').first().waitFor();
    assert.match(await page.getByTestId('org-usage-top').textContent(), new RegExp(`storage_gb\\s*${slug}`));
    await page.screenshot({ path: `${SCREENSHOTS}usage.png`, fullPage: true });
  } finally {
    await context.close();
  }
});

test('the plan catalogue renders on the server', async () => {
  const { context, page } = await launch({ javaScriptEnabled: false });
  try {
    await signIn(page);
    await page.goto(`${BASE_URL}/plans`);
    await page.getByTestId('plans-table').waitFor();
    assert.match(await page.getByTestId('plans-table').textContent(), /Enterprise/);
  } finally {
    await context.close();
  }
});
