// Backups in the browser: the vendor backs a tenant up from its Backups tab
// (a change the executor runs; the bundle is recorded with its checksum),
// verifies it, tests a restore of it (into a scratch target; the tenant
// stays active), sets a schedule, sets a legal hold (a reason is required),
// and restores the tenant from the backup in maintenance (the slug typed
// to confirm). The tab renders on the server: checked with JavaScript off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, activate, BASE_URL, SCREENSHOTS } from './browser.mjs';

// Reloads the Backups tab until `done` holds for the page (work runs at the executor).
async function waitOnTab(page, slug, done) {
  for (let i = 0; i < 60; i++) {
    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    if (await done()) return;
    await page.waitForTimeout(500);
  }
  throw new Error('the Backups tab never showed what was awaited');
}

async function tenantState(page, slug) {
  await page.goto(`${BASE_URL}/tenants/${slug}`);
  return (await page.getByTestId('tenant-state').textContent()).trim();
}

test('a tenant is backed up, verified, held and restored from its Backups tab', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'backup-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Backup Co' });
    assert.match(await activate(page, slug), /Active/);

    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.getByTestId('backups-empty').waitFor();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('backup-target').textContent(), /^file:\/\//);

    // Back up now: the change runs at the executor, then the backup is listed.
    await page.getByTestId('backup-now-form').getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(/\/changes\//);
    await waitOnTab(page, slug, async () => (await page.getByTestId('backup-row').count()) === 1);
    const row = page.getByTestId('backup-row').first();
    assert.match(await row.textContent(), /Manual/);
    assert.match(await row.textContent(), /Full/);
    assert.match(await row.getByTestId('verify-status').textContent(), /Not verified yet|Verified/);

    // Verify re-hashes the bundle.
    await page.waitForLoadState('networkidle');
    await row.getByRole('button', { name: 'Verify' }).click();
    await waitOnTab(page, slug, async () =>
      /^Verified/.test((await page.getByTestId('verify-status').first().textContent()).trim()));

    // A restore test: restored into a scratch target and checked there; the
    // verdict lands on the backup's row.
    await page.waitForLoadState('networkidle');
    await page.getByTestId('backup-row').first().getByRole('button', { name: 'Test restore' }).click();
    await page.waitForURL(/\/changes\//);
    await waitOnTab(page, slug, async () => {
      const badge = page.getByTestId('restore-test-status').first();
      return (await badge.count()) > 0 && /Restore passed/.test(await badge.textContent());
    });
    assert.equal(await tenantState(page, slug).then((s) => /Active/.test(s)), true, 'the tenant was not touched');
    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.getByTestId('backup-row').first().waitFor();

    // A schedule: a bad number is refused at its field.
    await page.waitForLoadState('networkidle');
    const schedule = page.getByTestId('schedule-form');
    await schedule.getByLabel('Daily backups kept').fill('999');
    await schedule.getByRole('button', { name: 'Save schedule' }).click();
    await page.locator('.field-error').filter({ hasText: 'Keep 0 to 366 daily' }).first().waitFor();
    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('schedule-form').getByLabel('Daily backups kept').fill('7');
    await page.getByTestId('schedule-form').getByLabel('Weekly backups kept').fill('4');
    await page.getByTestId('schedule-form').getByLabel('Test a restore every (days)').fill('30');
    await page.getByTestId('schedule-form').getByRole('button', { name: 'Save schedule' }).click();
    await waitOnTab(page, slug, async () =>
      (await page.getByTestId('schedule-form').getByLabel('Daily backups kept').inputValue()) === '7');

    // A legal hold needs a reason.
    await page.waitForLoadState('networkidle');
    await page.getByTestId('legal-hold-form').getByRole('button', { name: 'Set a legal hold' }).click();
    await page.locator('.field-error').filter({ hasText: 'Say why' }).first().waitFor();
    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('legal-hold-form').getByLabel('Why hold').fill('Litigation case 2026-114');
    await page.getByTestId('legal-hold-form').getByRole('button', { name: 'Set a legal hold' }).click();
    await page.getByTestId('legal-hold-standing').waitFor();
    assert.match(await page.getByTestId('legal-hold-standing').textContent(), /Litigation case 2026-114/);

    // Restore: in maintenance, with the slug typed to confirm.
    await page.goto(`${BASE_URL}/tenants/${slug}`);
    await page.waitForLoadState('networkidle');
    await page.locator('button[data-action="enter_maintenance"]').click();
    let state = '';
    for (let i = 0; i < 40 && !/Maintenance/.test(state); i++) {
      await page.waitForTimeout(500);
      state = await tenantState(page, slug);
    }
    assert.match(state, /Maintenance/);
    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.waitForLoadState('networkidle');
    const restore = page.getByTestId('restore-form');
    const backupId = await page.getByTestId('backup-row').first().getAttribute('data-backup');
    await restore.getByLabel('Backup').selectOption(backupId);
    await restore.getByLabel("Type the tenant's slug to confirm").fill('wrong');
    await restore.getByRole('button', { name: 'Restore' }).click();
    await page.locator('.field-error').filter({ hasText: `Type the tenant's slug, ${slug}` }).first().waitFor();
    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('restore-form').getByLabel('Backup').selectOption(backupId);
    await page.getByTestId('restore-form').getByLabel("Type the tenant's slug to confirm").fill(slug);
    await page.getByTestId('restore-form').getByRole('button', { name: 'Restore' }).click();
    await page.waitForURL(/\/changes\//);
    state = '';
    for (let i = 0; i < 60 && !/Active/.test(state); i++) {
      await page.waitForTimeout(500);
      state = await tenantState(page, slug);
    }
    assert.match(state, /Active/);

    await page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    await page.getByTestId('backup-row').first().waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}backups.png`, fullPage: true });
  } finally {
    await context.close();
  }

  // Rendered on the server: the tab works before (and without) JavaScript.
  const plain = await launch({ javaScriptEnabled: false });
  try {
    await signIn(plain.page);
    await plain.page.goto(`${BASE_URL}/tenants/${slug}/backups`);
    assert.equal(await plain.page.getByTestId('backup-row').count(), 1);
    assert.match(await plain.page.getByTestId('legal-hold-standing').textContent(), /Litigation/);
    assert.match(await plain.page.getByTestId('restore-test-status').first().textContent(), /Restore passed/);
  } finally {
    await plain.context.close();
  }
});

test('a secret is rotated from the Config tab: a short value refused, a generated one applied', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'secret-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Secret Co' });
    assert.match(await activate(page, slug), /Active/);
    await page.goto(`${BASE_URL}/tenants/${slug}/config`);
    await page.getByTestId('secret-table').waitFor();
    await page.waitForLoadState('networkidle');
    assert.match(await page.getByTestId('secret-webapp').textContent(), /Not set/);
    assert.match(await page.getByTestId('secret-database').textContent(), /maintenance|swap/);
    assert.match(await page.getByTestId('secret-webapp').textContent(), /live/);

    const form = page.getByTestId('rotate-form');
    await form.getByLabel('Secret', { exact: true }).selectOption('webapp');
    await form.getByLabel('New value').fill('short');
    await form.getByRole('button', { name: 'Rotate' }).click();
    await page.locator('.field-error').filter({ hasText: 'Use 16 to 256 characters' }).first().waitFor();

    await page.goto(`${BASE_URL}/tenants/${slug}/config`);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('rotate-form').getByLabel('Secret', { exact: true }).selectOption('webapp');
    await page.getByTestId('rotate-form').getByRole('button', { name: 'Rotate' }).click();
    await page.waitForURL(/\/changes\//);
    let status = '';
    for (let i = 0; i < 60 && status !== 'applied'; i++) {
      await page.waitForTimeout(500);
      await page.goto(`${BASE_URL}/tenants/${slug}/config`);
      await page.getByTestId('secret-table').waitFor();
      const badge = page.getByTestId('rotation-status').first();
      status = (await badge.count()) ? (await badge.textContent()).trim() : '';
    }
    assert.equal(status, 'applied');
    assert.doesNotMatch(await page.getByTestId('secret-webapp').textContent(), /Not set/);
    await page.getByTestId('secret-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}secrets.png`, fullPage: true });
  } finally {
    await context.close();
  }
});
