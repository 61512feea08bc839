// A tenant's Manifest tab: the tenant as YAML (secrets only as references),
// and a plan of an edited copy in the browser — unchanged first, then a
// changed name and label shown field by field with the ordered actions and
// their verdicts, and a bad version refused at its path. A plan writes
// nothing. The tab renders on the server (checked with JavaScript off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

test('a tenant manifest is shown and an edited copy is planned from its Manifest tab', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'declared-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Declared Co', labels: 'eu' });

    await page.goto(`${BASE_URL}/tenants/${slug}/manifest`);
    await page.getByTestId('plan-form').waitFor();
    await page.waitForLoadState('networkidle');
    const yaml = await page.getByTestId('manifest-yaml').textContent();
    assert.match(yaml, /^apiVersion: tenantry\/v1\nkind: Tenant\n/);
    assert.match(yaml, new RegExp(`slug: ${slug}`));

    // Planned unchanged: nothing to do.
    const form = page.getByTestId('plan-form');
    await form.getByRole('button', { name: 'Plan' }).click();
    await page.locator('[data-testid="plan-outcome"][data-outcome="unchanged"]').waitFor();

    // A new name and label: the diff and the one action, written at once.
    const labelled = yaml.replace('name: Declared Co', 'name: Declared Company').replace(/^(\s*)- eu$/m, '$1- eu\n$1- gold');
    assert.match(labelled, /- gold/);
    await form.getByLabel('Manifest (YAML or JSON)').fill(labelled);
    await form.getByRole('button', { name: 'Plan' }).click();
    await page.locator('[data-testid="plan-outcome"][data-outcome="changed"]').waitFor();
    const diff = await page.getByTestId('plan-diff').textContent();
    assert.match(diff, /metadata\.name/);
    assert.match(diff, /Declared Company/);
    assert.match(diff, /metadata\.labels/);
    assert.equal(await page.locator('[data-testid="plan-actions"] li[data-action="set_fields"]').count(), 1);
    assert.match(await page.getByTestId('plan-actions').textContent(), /Written at once/);
    await page.screenshot({ path: `${SCREENSHOTS}manifest.png`, fullPage: true });

    // An unknown field is refused, named with its place.
    await form.getByLabel('Manifest (YAML or JSON)').fill(labelled.replace('kind: Tenant', 'kind: Tenant\ncolour: blue'));
    await form.getByRole('button', { name: 'Plan' }).click();
    await page.locator('.alert').filter({ hasText: 'unknown field `colour`' }).waitFor();

    // Nothing was written: the tenant keeps its name.
    await page.goto(`${BASE_URL}/tenants/${slug}`);
    const heading = await page.getByRole('heading', { level: 1 }).first().textContent();
    assert.match(heading, /Declared Co/);
    assert.doesNotMatch(heading, /Declared Company/);
  } finally {
    await context.close();
  }

  const plain = await launch({ javaScriptEnabled: false });
  try {
    await signIn(plain.page);
    await plain.page.goto(`${BASE_URL}/tenants/${slug}/manifest`);
    assert.match(await plain.page.getByTestId('manifest-yaml').textContent(), /kind: Tenant/);
  } finally {
    await plain.context.close();
  }
});
