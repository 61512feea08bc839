// Users and invitations in the browser: a platform admin invites a tenant
// admin by email (the development outbox stands in for the mailbox), the
// invitee accepts from the link, is signed in, and sees only their tenant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

test('an invited tenant admin accepts by email and sees only their own tenant', async () => {
  const stamp = Date.now().toString(36);
  const own = `inv-own-${stamp}`;
  const other = `inv-other-${stamp}`;
  const invitee = `dana-${stamp}@acme.example`;

  const admin = await launch();
  let link;
  try {
    const { page } = admin;
    await signIn(page);
    await onboard(page, { slug: own, name: `Own ${stamp}` });
    await onboard(page, { slug: other, name: `Other ${stamp}` });

    await page.goto(`${BASE_URL}/users`);
    await page.waitForLoadState('networkidle');
    // Field-level error first: a tenant role without a tenant.
    await page.getByLabel('Email').fill(invitee);
    await page.getByLabel('Role').selectOption('tenant_admin');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Tenant roles need the tenant they apply to.').waitFor();

    await page.getByLabel('Tenant (slug)').fill(own);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByTestId('invite-sent').waitFor();
    await page.getByTestId('invitations-table').getByRole('row').filter({ hasText: invitee }).getByText('Pending').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}users.png`, fullPage: true });

    // The email, as the development outbox shows it.
    for (let attempt = 0; attempt < 50 && !link; attempt++) {
      await page.goto(`${BASE_URL}/dev/outbox`);
      const message = page.getByTestId('outbox-message').filter({ hasText: invitee });
      if (await message.count()) link = await message.first().getByTestId('outbox-link').getAttribute('href');
      else await page.waitForTimeout(200);
    }
    assert.ok(link?.startsWith(`${BASE_URL}/invitations/`), `invitation link: ${link}`);
    await page.screenshot({ path: `${SCREENSHOTS}dev-outbox.png`, fullPage: true });
  } finally {
    await admin.context.close();
  }

  const guest = await launch();
  try {
    const { page } = guest;
    await page.goto(link);
    await page.getByTestId('invitation-summary').filter({ hasText: invitee }).waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Your name').fill('Dana Scully');
    await page.getByLabel('Choose a password').fill('the truth is out there');
    await page.getByLabel('Repeat the password').fill('the truth is out there');
    await page.screenshot({ path: `${SCREENSHOTS}invitation-accept.png`, fullPage: true });
    await page.getByRole('button', { name: 'Accept and sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByTestId('current-user').filter({ hasText: 'Dana Scully' }).waitFor();

    await page.goto(`${BASE_URL}/tenants`);
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    const text = await page.locator('table tbody').innerText();
    assert.ok(text.includes(own), 'their tenant is listed');
    assert.ok(!text.includes(other), 'another tenant is not');
    assert.equal(await rows.count(), 1);
    await page.screenshot({ path: `${SCREENSHOTS}tenant-admin-tenants.png`, fullPage: true });

    const hidden = await page.goto(`${BASE_URL}/tenants/${other}`);
    assert.equal(hidden.status(), 404);

    // The link is single-use.
    await page.goto(link);
    await page.getByTestId('invitation-closed').waitFor();
  } finally {
    await guest.context.close();
  }
});
