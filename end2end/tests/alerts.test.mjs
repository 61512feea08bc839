// Alerts: the vendor lowers the "health baseline failing" threshold to one
// failed run in the rules table, a tenant's baseline fails against a real
// HTTP server answering 503, and the rules (run every 30 s) open an alert.
// An operator acknowledges it with a comment; it moves to the Acknowledged
// tab with who took it on, and its runbook is served by the portal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, activate, failingService, probeFailingOnce, BASE_URL, SCREENSHOTS } from './browser.mjs';

async function setBaselineThreshold(page, value) {
  await page.goto(`${BASE_URL}/alerts`);
  await page.waitForLoadState('networkidle');
  const row = page.getByTestId('alert-rules').locator('tr[data-rule="baseline_failing"]');
  await row.getByRole('spinbutton').fill(String(value));
  await page.locator('#rule-baseline_failing button[type="submit"]').click();
  await page.waitForLoadState('networkidle');
  await page.goto(`${BASE_URL}/alerts`);
  const saved = page.getByTestId('alert-rules').locator('tr[data-rule="baseline_failing"]').getByRole('spinbutton');
  assert.equal(await saved.inputValue(), String(value));
}

test('a failing baseline opens an alert that an operator acknowledges', async () => {
  const service = await failingService();
  const { context, page } = await launch({ javaScriptEnabled: true });
  const slug = 'alerting-co';
  try {
    await signIn(page);
    await setBaselineThreshold(page, 1);
    assert.equal(await page.getByTestId('alert-rules').locator('tr[data-rule]').count(), 9);

    await onboard(page, { slug, name: 'Alerting Co' });
    await activate(page, slug);
    await probeFailingOnce(page, slug, service.url);

    // The rules run every 30 s: the alert appears within a minute.
    const row = page.getByTestId('alerts-table').locator('tr[data-rule="baseline_failing"]', { hasText: slug });
    for (let i = 0; i < 45 && (await row.count()) === 0; i++) {
      await page.waitForTimeout(1000);
      await page.goto(`${BASE_URL}/alerts`);
    }
    await row.waitFor();
    assert.match(await row.textContent(), /Health baseline failing/);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}alerts-open.png`, fullPage: true });

    const id = await row.getAttribute('data-alert');
    await row.getByPlaceholder('Comment (optional)').fill('On it: the tenant database is down.');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator(`tr[data-alert="${id}"]`).waitFor({ state: 'detached' });

    await page.goto(`${BASE_URL}/alerts?status=acknowledged`);
    const taken = page.locator(`tr[data-alert="${id}"]`);
    await taken.waitFor();
    assert.match(await taken.getByTestId('ack-comment').textContent(), /the tenant database is down/);
    assert.notEqual((await taken.locator('td').nth(4).textContent()).trim(), '—', 'says who took it on');
    assert.equal(await taken.getByRole('button', { name: 'Acknowledge' }).count(), 0);
    await page.screenshot({ path: `${SCREENSHOTS}alerts-acknowledged.png`, fullPage: true });

    // The runbook the row links to is the repository's, served by the portal.
    const runbook = await page.request.get(`${BASE_URL}/runbooks/baseline_failing`);
    assert.equal(runbook.status(), 200);
    assert.match(await runbook.text(), /## What to do/);
  } finally {
    await setBaselineThreshold(page, 3).catch(() => {});
    await context.close();
    await service.close();
  }
});
