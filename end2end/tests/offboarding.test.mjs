// Offboarding in the browser: the vendor offboards a tenant from its
// Offboarding tab (a reason is required and the slug typed to confirm); the
// tab follows the workflow — notice to the contact, the export's files and
// checksums, access revoked, the executor's clean-up, then retention — and
// a legal hold set there shows on the workflow. The export downloads as a
// zip; the tab renders on the server (checked with JavaScript off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, activate, BASE_URL, SCREENSHOTS } from './browser.mjs';

test('a tenant is offboarded from its Offboarding tab, exported, held and kept for retention', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'leaving-co';
  try {
    await signIn(page);
    await onboard(page, { slug, name: 'Leaving Co', contact: 'ops@leaving.example' });
    assert.match(await activate(page, slug), /Active/);

    await page.goto(`${BASE_URL}/tenants/${slug}/offboarding`);
    await page.getByTestId('offboard-form').waitFor();
    await page.waitForLoadState('networkidle');
    assert.match(await page.locator('#offboard').textContent(), /ops@leaving\.example/);

    // A missing reason and a wrong slug are refused at their fields.
    const form = page.getByTestId('offboard-form');
    await form.getByLabel("Type the tenant's slug to confirm").fill('leaving');
    await form.getByRole('button', { name: 'Offboard tenant' }).click();
    await page.locator('.field-error').filter({ hasText: 'Say why the tenant is offboarded' }).first().waitFor();
    await page.locator('.field-error').filter({ hasText: `Type ${slug} exactly` }).first().waitFor();

    await page.goto(`${BASE_URL}/tenants/${slug}/offboarding`);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('offboard-form').getByLabel('Reason (sent to the contacts)').fill('Contract ended 2026-11-30');
    await page.getByTestId('offboard-form').getByLabel('Days to keep before deletion').fill('30');
    await page.getByTestId('offboard-form').getByLabel("Type the tenant's slug to confirm").fill(slug);
    await page.getByTestId('offboard-form').getByRole('button', { name: 'Offboard tenant' }).click();
    await page.getByTestId('offboarding-workflow').waitFor();
    assert.equal(await page.getByTestId('offboarding-step').count(), 6);
    assert.match(await page.getByTestId('offboarding-workflow').textContent(), /Emailed to ops@leaving\.example/);
    assert.match(await page.getByTestId('export-files').textContent(), /manifest|config\.csv/);

    // The executor cleans up; the tab then says how long the tenant is kept.
    let stage = '';
    for (let i = 0; i < 60 && stage !== 'retained'; i++) {
      await page.waitForTimeout(500);
      await page.goto(`${BASE_URL}/tenants/${slug}/offboarding`);
      await page.getByTestId('offboarding-workflow').waitFor();
      stage = await page.getByTestId('offboarding-workflow').getAttribute('data-stage');
    }
    assert.equal(stage, 'retained');
    assert.match(await page.getByTestId('offboarding-note').textContent(), /kept until/);

    // The export downloads as a zip, checked against its checksum.
    const href = await page.getByTestId('offboarding-export-download').getAttribute('href');
    const download = await page.request.get(`${BASE_URL}${href}`);
    assert.equal(download.status(), 200);
    assert.equal(download.headers()['content-type'], 'application/zip');
    const zip = await download.body();
    assert.equal(zip.subarray(0, 2).toString(), 'PK');

    // A legal hold, set from this tab, stands over the retention.
    await page.waitForLoadState('networkidle');
    await page.getByTestId('legal-hold-form').getByLabel('Why hold').fill('Audit request 2026-77');
    await page.getByTestId('legal-hold-form').getByRole('button', { name: 'Set a legal hold' }).click();
    await page.getByTestId('legal-hold-history').filter({ hasText: 'Audit request 2026-77' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}offboarding.png`, fullPage: true });
  } finally {
    await context.close();
  }

  const plain = await launch({ javaScriptEnabled: false });
  try {
    await signIn(plain.page);
    await plain.page.goto(`${BASE_URL}/tenants/${slug}/offboarding`);
    assert.equal(await plain.page.getByTestId('offboarding-workflow').getAttribute('data-stage'), 'retained');
    assert.match(await plain.page.getByTestId('legal-hold-history').textContent(), /Audit request/);
  } finally {
    await plain.context.close();
  }
});
