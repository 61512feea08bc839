// Moving a tenant in the browser: the vendor moves a tenant to another of
// its allowed regions and a dedicated instance from its Placement tab (a
// reason is required and the slug typed to confirm); the tab follows the
// migration's six steps to "Completed" and then shows the new placement.
// The tab renders on the server (checked with JavaScript off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, activate, BASE_URL, SCREENSHOTS } from './browser.mjs';

test('a tenant moves to another region and isolation from its Placement tab', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'moving-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Moving Co', allowed: 'eu-central-1, eu-west-1' });
    assert.match(await activate(page, slug), /Active/);

    await page.goto(`${BASE_URL}/tenants/${slug}/placement`);
    await page.getByTestId('migrate-form').waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal((await page.getByTestId('placement-region').textContent()).trim(), 'eu-central-1');
    assert.match(await page.getByTestId('migrations-empty').textContent(), /never moved/);
    // Only the tenant's allowed regions are offered.
    const offered = await page.locator('#field-region option').allTextContents();
    assert.deepEqual(offered, ['eu-central-1', 'eu-west-1']);

    // A missing reason and a wrong slug are refused at their fields.
    const form = page.getByTestId('migrate-form');
    await form.locator('#field-region').selectOption('eu-west-1');
    await form.getByLabel("Type the tenant's slug to confirm").fill('moving');
    await form.getByRole('button', { name: 'Move tenant' }).click();
    await page.locator('.field-error').filter({ hasText: 'Say why the tenant moves' }).first().waitFor();
    await page.locator('.field-error').filter({ hasText: 'to confirm the move' }).first().waitFor();

    await page.goto(`${BASE_URL}/tenants/${slug}/placement`);
    await page.waitForLoadState('networkidle');
    await form.locator('#field-region').selectOption('eu-west-1');
    await form.locator('#field-isolation').selectOption('dedicated');
    await form.getByLabel('Reason').fill('Customer asked for a dedicated instance');
    await form.getByLabel("Type the tenant's slug to confirm").fill(slug);
    await form.getByRole('button', { name: 'Move tenant' }).click();
    await page.getByTestId('migration-workflow').waitFor();
    assert.equal(await page.getByTestId('migration-step').count(), 6);

    // The tab follows the migration live until it completes.
    await page.getByTestId('migration-workflow').and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30000 });
    assert.equal((await page.getByTestId('placement-region').textContent()).trim(), 'eu-west-1');
    assert.match(await page.getByTestId('placement-isolation').textContent(), /Dedicated/);
    assert.match(await page.getByTestId('migration-note').textContent(), /runs in eu-west-1/);
    await page.screenshot({ path: `${SCREENSHOTS}placement.png`, fullPage: true });
  } finally {
    await context.close();
  }

  const plain = await launch({ javaScriptEnabled: false });
  try {
    await signIn(plain.page);
    await plain.page.goto(`${BASE_URL}/tenants/${slug}/placement`);
    assert.equal(await plain.page.getByTestId('migration-workflow').getAttribute('data-status'), 'completed');
    assert.match(await plain.page.getByTestId('migrations').textContent(), /eu-central-1 · shared/);
  } finally {
    await plain.context.close();
  }
});
