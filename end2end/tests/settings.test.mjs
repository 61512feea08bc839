// Settings → API tokens: the secret is shown once, works against the REST
// API, and stops working when revoked — with and without JavaScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, BASE_URL, SCREENSHOTS } from './browser.mjs';

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'hydrated' : 'no-js';

  test(`create, use and revoke an API token (${mode})`, async () => {
    const { context, page } = await launch({ javaScriptEnabled });
    try {
      await signIn(page);
      await page.goto(`${BASE_URL}/settings/api-tokens`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');

      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByText('Name the token after what will use it', { exact: false }).first().waitFor();

      const name = `ci-${mode}`;
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Expires in (days)').fill('30');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = (await page.getByTestId('new-token-value').textContent()).trim();
      assert.match(secret, /^tnt_[A-Za-z0-9_-]{43}$/);
      await page.screenshot({ path: `${SCREENSHOTS}settings-api-tokens-${mode}.png`, fullPage: true });

      const api = await fetch(`${BASE_URL}/api/v1/tenants?per_page=1`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(api.status, 200);
      assert.ok((await api.json()).pagination);

      // Shown once: a reload lists the token without its secret.
      await page.goto(`${BASE_URL}/settings/api-tokens`);
      assert.ok(!(await page.content()).includes(secret));
      const row = page.getByTestId('tokens-table').getByRole('row').filter({ hasText: name });
      await row.getByText('Active').waitFor();

      await row.getByRole('button', { name: `Revoke ${name}` }).click();
      await page.getByTestId('tokens-table').getByRole('row').filter({ hasText: name }).getByText('Revoked').waitFor();
      const revoked = await fetch(`${BASE_URL}/api/v1/tenants`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(revoked.status, 401);
      assert.equal(revoked.headers.get('content-type'), 'application/problem+json');
    } finally {
      await context.close();
    }
  });
}

test('two-factor set-up shows a QR code and key, and refuses a wrong code', async () => {
  const { context, page } = await launch();
  try {
    await signIn(page);
    await page.goto(`${BASE_URL}/settings/account`);
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    await page.locator('.qr svg').waitFor();
    const key = (await page.getByTestId('totp-secret').textContent()).trim();
    assert.match(key, /^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('That code does not match', { exact: false }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}settings-two-factor.png`, fullPage: true });
  } finally {
    await context.close();
  }
});

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'hydrated' : 'no-js';
  test(`notification preferences are saved (${mode})`, async () => {
    const { context, page } = await launch({ javaScriptEnabled });
    try {
      await signIn(page);
      await page.goto(`${BASE_URL}/settings/notifications`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');
      const box = page.getByLabel('Email: Changes finished (succeeded or failed)');
      const wasChecked = await box.isChecked();
      await box.setChecked(!wasChecked);
      await page.getByRole('button', { name: 'Save preferences' }).click();
      if (javaScriptEnabled) await page.getByTestId('preferences-saved').waitFor();
      else await page.waitForLoadState('load');
      await page.goto(`${BASE_URL}/settings/notifications`);
      assert.equal(await page.getByLabel('Email: Changes finished (succeeded or failed)').isChecked(), !wasChecked);
      assert.ok(await page.getByLabel('In the app: Security alerts about my account').isDisabled());
      await page.screenshot({ path: `${SCREENSHOTS}settings-notifications-${mode}.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'hydrated' : 'no-js';
  test(`email delivery becomes a daily digest at a local hour (${mode})`, async () => {
    const { context, page } = await launch({ javaScriptEnabled });
    try {
      await signIn(page);
      await page.goto(`${BASE_URL}/settings/notifications`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');
      const form = page.getByTestId('email-delivery');
      const hour = javaScriptEnabled ? '7' : '6';
      await form.getByLabel('Send', { exact: true }).selectOption('daily');
      await form.getByLabel('At (your time)').selectOption(hour);
      await form.getByLabel('Time zone').fill('Europe/Berlin');
      await form.getByRole('button', { name: 'Save email delivery' }).click();
      if (javaScriptEnabled) await page.getByTestId('digest-saved').waitFor();
      else await page.waitForLoadState('load');
      await page.goto(`${BASE_URL}/settings/notifications`);
      const status = await page.getByTestId('digest-status').textContent();
      assert.match(status, new RegExp(`daily at 0${hour}:00 \\(Europe/Berlin\\)`));
      assert.match(status, /next digest \d{4}-\d{2}-\d{2} \d{2}:00 UTC/);
      if (javaScriptEnabled) {
        // A zone that does not exist is refused on its field.
        await page.waitForLoadState('networkidle');
        await form.getByLabel('Time zone').fill('Mars/Olympus');
        await form.getByRole('button', { name: 'Save email delivery' }).click();
        await form.getByText("'Mars/Olympus' is not an IANA time zone").first().waitFor();
        await page.screenshot({ path: `${SCREENSHOTS}settings-email-digest.png`, fullPage: true });
      }
      // Back to one email per notification for the other tests.
      await form.getByLabel('Time zone').fill('UTC');
      await form.getByLabel('Send', { exact: true }).selectOption('at_once');
      await form.getByRole('button', { name: 'Save email delivery' }).click();
      if (javaScriptEnabled) await page.getByTestId('digest-saved').waitFor();
      else await page.waitForLoadState('load');
    } finally {
      await context.close();
    }
  });
}

test('a custom role is created from the roles page, with field errors first', async () => {
  const { context, page } = await launch();
  try {
    await signIn(page);
    await page.goto(`${BASE_URL}/settings/roles`);
    await page.waitForLoadState('networkidle');
    const name = `Auditor ${Date.now().toString(36)}`;
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByTestId('permissions-error').waitFor();
    await page.getByLabel(/audit\.read/).check();
    await page.getByLabel(/tenant\.read —/).check();
    await page.getByRole('button', { name: 'Create role' }).click();
    const row = page.getByTestId('roles-table').getByRole('row').filter({ hasText: name });
    await row.getByText('audit.read').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}settings-roles.png`, fullPage: true });
    await row.getByRole('button', { name: `Delete the role ${name}` }).click();
    await page.getByTestId('roles-table').getByRole('row').filter({ hasText: name }).waitFor({ state: 'detached' });
  } finally {
    await context.close();
  }
});

test('the public account pages render: forgot password and the second sign-in step', async () => {
  const { context, page } = await launch();
  try {
    await page.goto(`${BASE_URL}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByTestId('reset-sent').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}forgot-password.png`, fullPage: true });
    await page.goto(`${BASE_URL}/reset-password/not-a-real-token`);
    await page.getByTestId('reset-unusable').waitFor();
    await page.goto(`${BASE_URL}/login/verify`);
    await page.getByLabel('Authentication code').fill('123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('verify-error').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}login-verify.png`, fullPage: true });
  } finally {
    await context.close();
  }
});
