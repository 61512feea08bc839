// Releases and compliance in the browser: publish releases with an end-of-life
// date, record what a tenant runs, watch it turn "in grace" on the dashboard,
// export the report as CSV, approve a grace extension, and restrict the
// tenant's access with a stricter override.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

const isoDay = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

test('a release past end of life puts its tenant in grace; an extension adds time', async () => {
  const { context, page } = await launch();
  try {
    await signIn(page);
    await onboard(page, { slug: 'globex-edge', name: 'Globex Edge', customer: 'Globex', contact: 'ops@globex.example' });

    // The catalog: a product and two releases, the older past its end of life.
    await page.goto(`${BASE_URL}/releases`);
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Key').fill('edge-gateway');
    await page.locator('#field-name').fill('Edge Gateway');
    await page.getByRole('button', { name: 'Add product' }).click();
    await page.getByTestId('product-edge-gateway').waitFor();

    // A bad version is a field error, not a lost form.
    await page.locator('[id="field-form[version]"]').fill('5.0');
    await page.getByLabel('Released on').fill(isoDay(-300));
    await page.getByRole('button', { name: 'Save release' }).click();
    await page.getByText('is not a semantic version').first().waitFor();

    for (const [version, eol] of [['5.0.0', isoDay(-5)], ['5.1.0', '']]) {
      await page.locator('[id="field-form[version]"]').fill(version);
      await page.getByLabel('Released on').fill(isoDay(-300));
      await page.getByLabel('End of life').fill(eol);
      await page.getByLabel('Pinned components').fill(`api=${version}\nworker=${version}`);
      await page.getByRole('button', { name: 'Save release' }).click();
      await page.getByTestId('release-table').getByText(version, { exact: true }).waitFor();
    }
    await page.screenshot({ path: `${SCREENSHOTS}releases.png`, fullPage: true });

    // The tenant runs the older release.
    await page.goto(`${BASE_URL}/tenants/globex-edge/versions`);
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Running version').fill('5.0.0');
    await page.getByLabel('Allowed versions').fill('>=5.0, <6');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('versions-table').locator('[data-status="in_grace"]').waitFor();
    assert.match(await page.getByTestId('versions-table').textContent(), /25 d left/);

    // The dashboard shows it in grace, with days left.
    await page.goto(`${BASE_URL}/compliance`);
    assert.equal((await page.getByTestId('in-grace-count').textContent()).trim(), '1');
    const row = page.getByTestId('compliance-table').first().locator('tr', { hasText: 'globex-edge' });
    await row.locator('[data-status="in_grace"]').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}compliance-dashboard.png`, fullPage: true });

    // The CSV export carries the same row.
    const href = await page.getByTestId('export-csv').getAttribute('href');
    const csv = await (await page.request.get(`${BASE_URL}${href}`)).text();
    assert.match(csv, /^tenant,tenant_name,product,running_version,status/);
    assert.match(csv, /globex-edge,Globex Edge,edge-gateway,5\.0\.0,in_grace,25,/);

    // Ask for 14 more days, then approve it on the policies page.
    await page.goto(`${BASE_URL}/tenants/globex-edge/versions`);
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Extra days').fill('14');
    await page.getByLabel('Reason').fill('Our auditors sign off the upgrade next month');
    await page.getByRole('button', { name: 'Request extension' }).click();
    await page.getByTestId('tenant-extensions').getByText('pending').waitFor();

    await page.goto(`${BASE_URL}/policies`);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}policies-extension.png`, fullPage: true });
    await page.getByTestId('extension-table').getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('extension-table').getByText('approved').waitFor();

    await page.goto(`${BASE_URL}/tenants/globex-edge/versions`);
    assert.match(await page.getByTestId('versions-table').textContent(), /39 d left/);
    await page.screenshot({ path: `${SCREENSHOTS}tenant-versions.png`, fullPage: true });

    // A tenant override that needs 5.1.0 and restricts access: 5.0.0 is now
    // out of policy, and the tenant page says its people are restricted.
    await page.goto(`${BASE_URL}/policies`);
    await page.waitForLoadState('networkidle');
    await page.locator('#field-level').selectOption('tenant');
    await page.locator('#field-product_id').selectOption({ label: 'Edge Gateway' });
    await page.getByLabel('Tenant (slug, for an override)').fill('globex-edge');
    await page.getByLabel('Minimum version').fill('5.1.0');
    await page.locator('#action-restrict_access').check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByTestId('policy-table').getByText('globex-edge').waitFor();
    await page.goto(`${BASE_URL}/tenants/globex-edge`);
    await page.getByTestId('access-restriction').getByText('Edge Gateway 5.0.0 is out of policy').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}tenant-restricted.png`, fullPage: true });
  } finally {
    await context.close();
  }
});
