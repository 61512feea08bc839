// The tenant registry in the browser: onboarding with field errors, the list,
// a lifecycle action that passes through its intermediate state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'hydrated' : 'no-js';
  const slug = `acme-${mode}`;

  test(`onboard a tenant, find it, activate it (${mode})`, async () => {
    const { context, page } = await launch({ javaScriptEnabled });
    try {
      await signIn(page);
      await page.goto(`${BASE_URL}/tenants/new`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');

      // Step 1 with nothing filled in: every required field says what is wrong.
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText("Enter the customer's name.").first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}onboarding-errors-${mode}.png`, fullPage: true });
      await page.getByLabel('Customer').fill('Acme Corp');
      await page.getByLabel('Display name').fill(`Acme ${mode}`);
      await page.getByLabel('Slug').fill(slug);
      await page.getByLabel('Labels').fill('pilot, emea');
      await page.getByRole('button', { name: 'Next' }).click();

      // Step 2: a malformed contact is caught before moving on.
      await page.getByLabel('Technical contact').fill('not-an-email');
      await page.getByLabel('CRM id').fill(`CRM-${mode}`);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.locator('#field-contact_technical[aria-invalid="true"]').waitFor();
      await page.getByLabel('Technical contact').fill('ops@acme.example');
      await page.getByRole('button', { name: 'Next' }).click();

      // Step 3: a region outside the allowed regions is refused (data residency).
      await page.getByLabel('Plan').selectOption('professional');
      await page.locator('#field-region').selectOption('us-east-1');
      await page.getByLabel('Allowed regions').fill('eu-central-1, eu-west-1');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByText('outside this tenant\'s allowed regions', { exact: false }).first().waitFor();
      await page.locator('#field-region').selectOption('eu-central-1');
      await page.getByRole('button', { name: 'Review' }).click();

      // Review: everything entered, per step, with a way back to change it.
      await page.getByTestId('review-slug').filter({ hasText: slug }).waitFor();
      assert.equal((await page.getByTestId('review-contact_technical').textContent()).trim(), 'ops@acme.example');
      await page.screenshot({ path: `${SCREENSHOTS}onboarding-review-${mode}.png`, fullPage: true });
      await page.getByRole('button', { name: 'Create draft tenant' }).click();

      await page.waitForURL(`${BASE_URL}/tenants/${slug}`);
      assert.equal((await page.getByTestId('tenant-state').textContent()).trim().replace(/\s+/g, ' ').slice(-5), 'Draft');
      // Actions that are not possible now say why.
      await page.getByText('Cannot upgrade a draft tenant', { exact: false }).waitFor();

      await page.locator('button[data-action="activate"]').click();
      await page.getByTestId('tenant-requested').waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}tenant-provisioning-${mode}.png`, fullPage: true });

      // The built-in executor finishes provisioning within a few seconds.
      let state = '';
      for (let i = 0; i < 20 && !state.includes('Active'); i++) {
        await page.waitForTimeout(500);
        await page.goto(`${BASE_URL}/tenants/${slug}`);
        state = (await page.getByTestId('tenant-state').textContent()).trim();
      }
      assert.match(state, /Active/);
      await page.screenshot({ path: `${SCREENSHOTS}tenant-overview-${mode}.png`, fullPage: true });
      await page.getByRole('navigation', { name: 'Tenant sections' }).getByRole('link', { name: 'History' }).click();
      await page.getByTestId('change-log').getByText('provisioning').first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}tenant-detail-${mode}.png`, fullPage: true });

      // The list finds it by customer, filters by state, and links to it.
      await page.goto(`${BASE_URL}/tenants?q=${encodeURIComponent(`crm-${mode}`)}`);
      const table = page.getByTestId('tenants-table');
      await table.getByRole('link', { name: slug }).waitFor();
      assert.match(await page.getByTestId('pager-range').textContent(), /1–1 of 1/);
      await page.goto(`${BASE_URL}/tenants?state=draft&q=${slug}`);
      await page.getByTestId('tenants-no-results').waitFor();
      await page.goto(`${BASE_URL}/tenants`);
      await page.screenshot({ path: `${SCREENSHOTS}tenants-list-${mode}.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
}

test('configure a tenant with a secret, edit it, and find it all in the audit explorer', async () => {
  const { context, page } = await launch();
  try {
    await signIn(page);
    const slug = 'acme-config';
    await onboard(page, { slug, name: 'Acme config' });

    await page.getByRole('navigation', { name: 'Tenant sections' }).getByRole('link', { name: 'Config' }).click();
    await page.waitForURL(`${BASE_URL}/tenants/${slug}/config`);
    await page.locator('#field-key').fill('smtp.password');
    await page.locator('#field-value').fill('hunter2-secret');
    await page.getByLabel('Secret (write-only, always masked)').check();
    await page.getByRole('button', { name: 'Save entry' }).click();
    await page.getByTestId('config-table').getByText('smtp.password').waitFor();
    const html = await page.content();
    assert.ok(!html.includes('hunter2-secret'), 'the secret never comes back to the browser');

    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.waitForURL(`${BASE_URL}/tenants/${slug}/edit`);
    await page.getByLabel('Display name').fill('Acme configured');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`${BASE_URL}/tenants/${slug}`);
    await page.getByRole('heading', { name: 'Acme configured', level: 1 }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}tenant-config.png`, fullPage: true });

    await page.goto(`${BASE_URL}/audit?tenant=${slug}`);
    const audit = page.getByTestId('audit-table');
    await audit.getByText('tenant.config.set').waitFor();
    await audit.getByText('tenant.update').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}audit-explorer.png`, fullPage: true });
    const csv = await page.request.get(`${BASE_URL}/audit/export.csv?tenant=${slug}`);
    assert.equal(csv.status(), 200);
    const body = await csv.text();
    assert.match(body, /tenant\.config\.set/);
    assert.ok(!body.includes('hunter2-secret'));
  } finally {
    await context.close();
  }
});

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'hydrated' : 'no-js';
  test(`bulk suspend reports each tenant's outcome (${mode})`, async () => {
    const { context, page } = await launch({ javaScriptEnabled });
    try {
      await signIn(page);
      // acme-<mode> is active (from the onboarding test); acme-config is still a draft.
      await page.goto(`${BASE_URL}/tenants?q=acme`);
      await page.getByLabel(`Select acme-${mode}`).check();
      await page.getByLabel('Select acme-config').check();
      await page.getByRole('button', { name: 'Suspend…' }).click();
      await page.waitForURL(/\/tenants\/bulk/);
      await page.getByText('Suspend will apply to 1 of the 2 selected tenants', { exact: false }).waitFor();
      await page.getByTestId('bulk-table').getByText('Cannot suspend a draft tenant', { exact: false }).waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}bulk-confirm-${mode}.png`, fullPage: true });
      await page.getByRole('button', { name: 'Suspend 1 tenant', exact: true }).click();
      await page.getByTestId('bulk-table').getByText('✓ Done').waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}bulk-result-${mode}.png`, fullPage: true });
      await page.goto(`${BASE_URL}/tenants/acme-${mode}`);
      assert.match(await page.getByTestId('tenant-state').textContent(), /Suspended/);
      // The executor blocks public access first; until it has, resuming waits.
      for (let i = 0; i < 40 && await page.locator('button[data-action="resume"]').isDisabled(); i++) {
        await page.waitForTimeout(300);
        await page.goto(`${BASE_URL}/tenants/acme-${mode}`);
      }
      await page.locator('button[data-action="resume"]').click();
      await page.getByTestId('tenant-state').filter({ hasText: 'Active' }).waitFor();
      // Each step is in the tenant's history.
      await page.goto(`${BASE_URL}/tenants/acme-${mode}/history`);
      for (const action of ['tenant.create', 'tenant.activate', 'tenant.suspend', 'tenant.resume']) {
        await page.getByTestId('tenant-history').getByText(action, { exact: true }).first().waitFor();
      }
    } finally {
      await context.close();
    }
  });
}
