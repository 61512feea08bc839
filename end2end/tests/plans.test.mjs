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

    // The catalogue: the seeded plans, then a new one.
    await page.goto(`${BASE_URL}/plans`);
    await page.getByTestId('plan-starter').waitFor();
    await page.waitForLoadState('networkidle');
    const form = page.getByTestId('plan-form');
    await form.getByLabel('Code').fill('pilot-plan');
    await form.getByLabel('Name').fill('Pilot');
    await form.getByLabel('Users').fill('-1');
    await form.getByRole('button', { name: 'Create plan' }).click();
    await page.locator('.field-error').filter({ hasText: 'is not a limit' }).first().waitFor();
    await form.getByLabel('Users').fill('3');
    await form.getByLabel('Endpoints').fill('2');
    await form.getByLabel('Webhook endpoints').fill('1');
    await form.getByLabel('Audit log export').check();
    await form.getByRole('button', { name: 'Create plan' }).click();
    await page.getByTestId('plan-pilot-plan').waitFor();
    assert.match(await page.getByTestId('plan-pilot-plan').textContent(), /audit_export/);
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

    // An override needs a reason; with one it is in force and shown.
    await page.waitForLoadState('networkidle');
    const override = page.getByTestId('override-form');
    await override.getByLabel('Quota').selectOption('users');
    await override.getByLabel('Limit').fill('5');
    await override.getByRole('button', { name: 'Save override' }).click();
    await page.locator('.field-error').filter({ hasText: 'Say why' }).first().waitFor();
    await override.getByLabel('Reason').fill('Pilot extension');
    await override.getByRole('button', { name: 'Save override' }).click();
    await page.getByTestId('quota-users').filter({ hasText: 'Override: Pilot extension' }).waitFor();
    const users = await page.getByTestId('quota-users').textContent();
    assert.match(users, /5/);
    assert.match(await page.getByTestId('quota-endpoints').textContent(), /0 of 2/);
    assert.match(await page.getByTestId('tenant-features').textContent(), /Included.*Audit log export/s);
    await page.screenshot({ path: `${SCREENSHOTS}tenant-limits.png`, fullPage: true });
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
