// The core sign-in flow, once hydrated and once with JavaScript off:
// open / → redirected to login → errors for bad input → sign in → dashboard → sign out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOTS } from './browser.mjs';

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'hydrated' : 'no-js';

  test(`sign in, see the dashboard, sign out (${mode})`, async () => {
    const { context, page } = await launch({ javaScriptEnabled });
    try {
      await page.goto(`${BASE_URL}/`);
      assert.match(new URL(page.url()).pathname, /^\/login$/, 'logged-out visitors land on the login page');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/');
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');

      // Empty fields: field-level errors.
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Enter your email address.').waitFor();
      await page.getByText('Enter your password.').waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}login-errors-${mode}.png`, fullPage: true });

      // Wrong password: one generic message.
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill('definitely-not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('login-error').waitFor();
      assert.equal((await page.getByTestId('login-error').textContent()).trim(), 'Email or password is incorrect.');

      // Right password: the dashboard with the admin's name and real counts.
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal((await page.getByTestId('current-user').textContent()).trim(), 'Platform Admin');
      assert.match((await page.getByTestId('tenants-total').textContent()).trim(), /^\d+$/);
      assert.ok(Number((await page.getByTestId('users-total').textContent()).trim()) >= 1);
      const audit = page.getByTestId('recent-audit');
      await audit.getByText('auth.login').first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}dashboard-${mode}.png`, fullPage: true });

      // The primary navigation leads to the other screens.
      await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Rollouts' }).click();
      await page.getByRole('heading', { name: 'Rollouts', level: 1 }).waitFor();

      // Sign out: back at the login page, and the dashboard is closed again.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await page.goto(`${BASE_URL}/`);
      assert.match(new URL(page.url()).pathname, /^\/login$/);
    } finally {
      await context.close();
    }
  });
}

test('a deep link survives the detour through the login page', async () => {
  const { context, page } = await launch();
  try {
    await page.goto(`${BASE_URL}/settings`);
    assert.equal(new URL(page.url()).searchParams.get('next'), '/settings');
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/settings');
  } finally {
    await context.close();
  }
});
