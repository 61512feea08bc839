// Change requests and rollouts in the browser: a platform admin takes a
// release to three tenants in three waves, watches it, pauses and resumes it
// until it completes; then asks for an upgrade on a tenant whose update policy
// wants every update approved, and that tenant's admin approves it from the
// approvals inbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

const isoDay = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
const stamp = Date.now().toString(36);
// Named to sort after the other tests' products, whose forms take the first one.
const product = `rollout-agent-${stamp}`;
const productName = `Rollout Agent ${stamp}`;
const targets = ['a', 'b', 'c'].map((x) => `ro-${x}-${stamp}`);
const approvalTenant = `ap-${stamp}`;
const tenantAdmin = `approver-${stamp}@tenant.example`;

// The status word of a badge (`data-status` on the element under `testId`).
const statusOf = async (page, testId) => page.getByTestId(testId).locator('[data-status]').getAttribute('data-status');

async function waitForStatus(page, testId, wanted, timeout = 60000) {
  await page.getByTestId(testId).locator(`[data-status="${wanted}"]`).waitFor({ timeout });
}

// Onboard, activate and license a tenant with version 1.0.0 of the product.
async function readyTenant(page, slug, name = productName) {
  await onboard(page, { slug, name: `Tenant ${slug}` });
  await page.waitForLoadState('networkidle');
  await page.locator('button[data-action="activate"]').click();
  let state = '';
  for (let i = 0; i < 40 && !state.includes('Active'); i++) {
    await page.waitForTimeout(300);
    await page.goto(`${BASE_URL}/tenants/${slug}`);
    state = (await page.getByTestId('tenant-state').textContent()).trim();
  }
  assert.match(state, /Active/, `${slug} is active`);
  await page.goto(`${BASE_URL}/tenants/${slug}/versions`);
  await page.waitForLoadState('networkidle');
  await page.locator('[id="field-form[product_id]"]').selectOption({ label: name });
  await page.getByLabel('Running version').fill('1.0.0');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByTestId('versions-table').getByText('1.0.0', { exact: true }).waitFor();
}

// A product with releases 1.0.0 and 1.1.0, from the releases page.
async function productWithTwoReleases(page, key, name) {
  await page.goto(`${BASE_URL}/releases`);
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Key').fill(key);
  await page.locator('#field-name').fill(name);
  await page.getByRole('button', { name: 'Add product' }).click();
  await page.getByTestId(`product-${key}`).waitFor();
  for (const version of ['1.0.0', '1.1.0']) {
    await page.locator('[id="field-form[product_id]"]').selectOption({ label: name });
    await page.locator('[id="field-form[version]"]').fill(version);
    await page.getByLabel('Released on').fill(isoDay(-30));
    await page.getByRole('button', { name: 'Save release' }).click();
    await page.getByTestId(`product-${key}`).getByTestId('release-table').getByText(version, { exact: true }).waitFor();
  }
}

// Invites `email` as the admin of tenant `slug` and returns the invitation link.
async function inviteTenantAdmin(page, email, slug) {
  await page.goto(`${BASE_URL}/users`);
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role').selectOption('tenant_admin');
  await page.getByLabel('Tenant (slug)').fill(slug);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await page.getByTestId('invite-sent').waitFor();
  for (let attempt = 0; attempt < 50; attempt++) {
    await page.goto(`${BASE_URL}/dev/outbox`);
    const message = page.getByTestId('outbox-message').filter({ hasText: email });
    if (await message.count()) return message.first().getByTestId('outbox-link').getAttribute('href');
    await page.waitForTimeout(200);
  }
  assert.fail(`no invitation for ${email}`);
}

async function acceptInvitation(page, link, name) {
  await page.goto(link);
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Choose a password').fill('approve all the things');
  await page.getByLabel('Repeat the password').fill('approve all the things');
  await page.getByRole('button', { name: 'Accept and sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

test('a rollout runs wave by wave, pauses and resumes; a tenant admin approves an upgrade', async () => {
  const admin = await launch();
  let changeUrl;
  let rolloutUrl;
  let invitation;
  try {
    const { page } = admin;
    await signIn(page);

    await productWithTwoReleases(page, product, productName);

    for (const slug of [...targets, approvalTenant]) await readyTenant(page, slug);

    // A refused plan keeps its fields and says what is wrong, field by field.
    await page.goto(`${BASE_URL}/rollouts`);
    await page.waitForLoadState('networkidle');
    await page.locator('[id="field-form[name]"]').fill(`Agent 1.1 ${stamp}`);
    await page.locator('[id="field-form[product]"]').selectOption(product);
    await page.locator('[id="field-form[target_version]"]').fill('1.1.0');
    await page.locator('[id="field-form[tenants]"]').fill(targets.join('\n'));
    await page.locator('[id="field-form[waves]"]').fill('34, 34');
    await page.getByRole('button', { name: 'Create rollout' }).click();
    await page.getByText('Waves are cumulative').first().waitFor();
    assert.equal(await page.locator('[id="field-form[waves]"]').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[id="field-form[name]"]').inputValue(), `Agent 1.1 ${stamp}`);

    // Three tenants in three waves, one at a time.
    // Cumulative shares round up: 33 % of 3 is 1 tenant, 66 % is 2, the rest 3.
    await page.locator('[id="field-form[waves]"]').fill('33, 66');
    await page.locator('[id="field-form[concurrency]"]').fill('1');
    await page.getByRole('button', { name: 'Create rollout' }).click();
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);
    rolloutUrl = page.url();
    await page.getByTestId('waves').locator('li').nth(2).waitFor();
    assert.equal(await page.getByTestId('waves').locator('li').count(), 3);
    assert.equal(await page.getByTestId('targets-table').locator('tbody tr').count(), 3);
    await page.waitForLoadState('networkidle');

    // Pause while the first wave works: the later waves do not start.
    await page.locator('button[data-action="pause"]').click();
    await waitForStatus(page, 'rollout-status', 'paused');
    await page.screenshot({ path: `${SCREENSHOTS}rollout-paused.png`, fullPage: true });
    await page.waitForTimeout(4000);
    await page.reload();
    assert.equal(await statusOf(page, 'rollout-status'), 'paused');
    assert.equal(await page.getByTestId('waves').locator('li').nth(2).getAttribute('data-state'), 'pending');
    const third = page.getByTestId('targets-table').locator('tr', { hasText: targets[2] });
    assert.equal(await third.locator('[data-status]').getAttribute('data-status'), 'pending');

    // Resume and watch the waves fill up to the end.
    await page.waitForLoadState('networkidle');
    await page.locator('button[data-action="resume"]').click();
    await waitForStatus(page, 'rollout-status', 'running');
    await page.getByTestId('rollout-wave').filter({ hasText: /Wave [23] of 3/ }).waitFor({ timeout: 60000 });
    await page.screenshot({ path: `${SCREENSHOTS}rollout-running.png`, fullPage: true });
    await waitForStatus(page, 'rollout-status', 'succeeded', 90000);
    for (const slug of targets) {
      const row = page.getByTestId('targets-table').locator('tr', { hasText: slug });
      assert.equal(await row.locator('[data-status]').getAttribute('data-status'), 'succeeded', slug);
    }
    for (let wave = 0; wave < 3; wave++) {
      const item = page.getByTestId('waves').locator('li').nth(wave);
      assert.equal(await item.getAttribute('data-state'), 'done');
      assert.equal(await item.getByRole('progressbar').getAttribute('aria-valuenow'), '1');
    }
    assert.equal((await page.getByTestId('success-rate').textContent()).trim(), '100 %');
    await page.screenshot({ path: `${SCREENSHOTS}rollout-succeeded.png`, fullPage: true });

    // The rollout's changes are on the Changes page; the tenants run 1.1.0.
    await page.goto(`${BASE_URL}/changes?tenant=${targets[0]}&kind=upgrade`);
    const change = page.getByTestId('changes-table').locator('tbody tr').first();
    await change.locator('[data-status="succeeded"]').waitFor();
    await page.goto(`${BASE_URL}/tenants/${targets[0]}/versions`);
    await page.getByTestId('versions-table').getByText('1.1.0', { exact: true }).waitFor();

    // The other tenant wants every update approved.
    await page.goto(`${BASE_URL}/tenants/${approvalTenant}/update-policy`);
    await page.waitForLoadState('networkidle');
    await page.locator('[id="field-form[approval_mode]"]').selectOption('all');
    await page.getByRole('button', { name: 'Save policy' }).click();
    // Hydrated or not (a click before hydration posts the form), the tab confirms it.
    await page.getByTestId('policy-saved').waitFor();
    await page.goto(`${BASE_URL}/tenants/${approvalTenant}/update-policy`);
    assert.equal(await page.locator('[id="field-form[approval_mode]"]').inputValue(), 'all');
    await page.getByTestId('next-start').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}tenant-update-policy.png`, fullPage: true });

    // The platform admin asks for the upgrade, and may not decide it.
    await page.goto(`${BASE_URL}/changes?tenant=${approvalTenant}`);
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('[id="field-form[tenant]"]').inputValue(), approvalTenant);
    await page.locator('[id="field-form[product]"]').selectOption(product);
    await page.locator('[id="field-form[target_version]"]').fill('1.1.0');
    await page.getByLabel('Note').fill('Security fix');
    await page.getByRole('button', { name: 'Request change' }).click();
    await page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    changeUrl = page.url();
    await waitForStatus(page, 'change-status', 'pending_approval');
    assert.match(await page.getByTestId('decide-refusal').textContent(), /someone else must decide/);
    await page.screenshot({ path: `${SCREENSHOTS}change-pending.png`, fullPage: true });

    // Invite the tenant's admin.
    invitation = await inviteTenantAdmin(page, tenantAdmin, approvalTenant);
  } finally {
    await admin.context.close();
  }

  const approver = await launch();
  try {
    const { page } = approver;
    await acceptInvitation(page, invitation, 'Ada Approver');

    // The top bar counts what awaits this admin's decision.
    assert.equal((await page.getByTestId('approvals-count').textContent()).trim(), '1');
    await page.getByTestId('approvals-link').click();
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    const item = page.getByTestId('approvals').locator(`li[data-tenant="${approvalTenant}"]`);
    await item.waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}approvals.png`, fullPage: true });

    // Rejecting needs a reason; approving does not.
    await item.getByRole('button', { name: 'Reject' }).click();
    await item.getByText('Say why you reject it').waitFor();
    await item.getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('decision-recorded').waitFor();
    await page.getByTestId('approvals-empty').getByText('No change request awaits your approval').waitFor();
    await page.getByTestId('approvals-count').waitFor({ state: 'detached' });

    // The change is scheduled, runs in the tenant's window (none: at once) and lands.
    await page.goto(changeUrl);
    await page.getByTestId('decisions').getByText(tenantAdmin).waitFor();
    await waitForStatus(page, 'change-status', 'succeeded', 60000);
    assert.equal(await page.getByTestId('step-log').locator('li[data-status="succeeded"]').count(), await page.getByTestId('step-log').locator('li').count());
    await page.screenshot({ path: `${SCREENSHOTS}change-succeeded.png`, fullPage: true });
  } finally {
    await approver.context.close();
  }

  // The same pages render on the server alone, before any JavaScript.
  const plain = await launch({ javaScriptEnabled: false });
  try {
    const { page } = plain;
    await signIn(page);
    await page.goto(rolloutUrl);
    assert.equal(await statusOf(page, 'rollout-status'), 'succeeded');
    assert.equal(await page.getByTestId('waves').getByRole('progressbar').count(), 3);
    await page.goto(`${BASE_URL}/jobs`);
    await page.getByTestId('job-counters').waitFor();
    assert.ok(await page.getByTestId('jobs-table').locator('tbody tr').count() > 0);
    await page.screenshot({ path: `${SCREENSHOTS}jobs.png`, fullPage: true });
    // Without JavaScript a saved update policy is confirmed too.
    await page.goto(`${BASE_URL}/tenants/${approvalTenant}/update-policy`);
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByTestId('policy-saved').waitFor();
    assert.equal(await page.locator('[id="field-form[approval_mode]"]').inputValue(), 'all');
    await page.goto(`${BASE_URL}/changes?status=succeeded`);
    await page.getByTestId('changes-table').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}changes.png`, fullPage: true });
  } finally {
    await plain.context.close();
  }
});

test('a wave over its error threshold stops the rollout with the reason on screen', async () => {
  const admin = await launch();
  try {
    const { page } = admin;
    await signIn(page);
    // The simulator fails every step of a tenant labelled simulate-failure.
    const bad = `rf-bad-${stamp}`;
    const good = `rf-ok-${stamp}`;
    await onboard(page, { slug: bad, name: `Tenant ${bad}`, labels: 'simulate-failure' });
    await onboard(page, { slug: good, name: `Tenant ${good}` });
    for (const slug of [bad, good]) {
      await page.goto(`${BASE_URL}/tenants/${slug}`);
      await page.waitForLoadState('networkidle');
      await page.locator('button[data-action="activate"]').click();
      let state = '';
      for (let i = 0; i < 40 && !state.includes('Active'); i++) {
        await page.waitForTimeout(300);
        await page.goto(`${BASE_URL}/tenants/${slug}`);
        state = (await page.getByTestId('tenant-state').textContent()).trim();
      }
      await page.goto(`${BASE_URL}/tenants/${slug}/versions`);
      await page.waitForLoadState('networkidle');
      await page.locator('[id="field-form[product_id]"]').selectOption({ label: productName });
      await page.getByLabel('Running version').fill('1.0.0');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByTestId('versions-table').getByText('1.0.0', { exact: true }).waitFor();
    }

    // Wave 1 is the failing tenant (plan order is by slug); no failure is tolerated.
    await page.goto(`${BASE_URL}/rollouts`);
    await page.waitForLoadState('networkidle');
    await page.locator('[id="field-form[name]"]').fill(`Canary ${stamp}`);
    await page.locator('[id="field-form[product]"]').selectOption(product);
    await page.locator('[id="field-form[target_version]"]').fill('1.1.0');
    await page.locator('[id="field-form[tenants]"]').fill(`${bad}\n${good}`);
    await page.locator('[id="field-form[waves]"]').fill('50');
    await page.locator('[id="field-form[error_threshold]"]').fill('0');
    await page.getByRole('button', { name: 'Create rollout' }).click();
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);

    // Three attempts with backoff, then the wave halts everything.
    await waitForStatus(page, 'rollout-status', 'paused', 90000);
    const reason = await page.getByTestId('halt-reason').textContent();
    assert.match(reason, /Wave 1: 1 of 1 targets failed \(100 %\), over the 0 % error threshold/);
    const goodRow = page.getByTestId('targets-table').locator('tr', { hasText: good });
    assert.equal(await goodRow.locator('[data-status]').getAttribute('data-status'), 'pending', 'wave 2 never started');
    await page.screenshot({ path: `${SCREENSHOTS}rollout-halted.png`, fullPage: true });
  } finally {
    await admin.context.close();
  }
});

test('a draft is submitted; a delay beyond the tenant\'s limit goes to the vendor, who approves it', async () => {
  // Named, like the other products here, to sort after the compliance test's.
  const key = `rollout-delay-${stamp}`;
  const name = `Rollout Delay ${stamp}`;
  const slug = `dl-${stamp}`;
  const boss = `delayer-${stamp}@tenant.example`;
  // A window three days from now, so the change waits in the schedule.
  const weekday = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 3) % 7];
  let changeUrl;
  let invitation;
  const admin = await launch();
  try {
    const { page } = admin;
    await signIn(page);
    await productWithTwoReleases(page, key, name);
    await readyTenant(page, slug, name);

    await page.goto(`${BASE_URL}/tenants/${slug}/update-policy`);
    await page.waitForLoadState('networkidle');
    await page.locator('[id="field-form[approval_mode]"]').selectOption('auto_approve');
    await page.locator('[id="field-form[max_delay_days]"]').fill('2');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByTestId('policy-saved').waitFor();
    await page.goto(`${BASE_URL}/tenants/${slug}/update-policy`);
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('[id="field-form[max_delay_days]"]').inputValue(), '2');
    await page.getByTestId('window-form').getByLabel('Weekday').selectOption(weekday);
    await page.getByRole('button', { name: 'Add window' }).click();
    await page.getByTestId('windows').locator('li').first().waitFor();

    // Saved as a draft: nothing is scheduled until it is submitted.
    await page.goto(`${BASE_URL}/changes?tenant=${slug}`);
    await page.waitForLoadState('networkidle');
    await page.locator('[id="field-form[product]"]').selectOption(key);
    await page.locator('[id="field-form[target_version]"]').fill('1.1.0');
    await page.locator('button[data-action="save-draft"]').click();
    await page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    changeUrl = page.url();
    await waitForStatus(page, 'change-status', 'draft');
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}change-draft.png`, fullPage: true });
    await page.locator('button[data-action="submit"]').click();
    await waitForStatus(page, 'change-status', 'scheduled');

    // A saved filter (this tenant, by search) and a change for every tenant it matches.
    const filterName = `Delay tenants ${stamp}`;
    await page.goto(`${BASE_URL}/tenants?q=${slug}`);
    await page.waitForLoadState('networkidle');
    await page.locator('#field-filter-name').fill(filterName);
    await page.locator('button[data-action="save-filter"]').click();
    await page.getByTestId('saved-filters').locator(`li[data-filter="${filterName}"]`).getByText('1 tenant').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}saved-filters.png`, fullPage: true });
    await page.goto(`${BASE_URL}/changes`);
    await page.waitForLoadState('networkidle');
    await page.locator('[id="field-form[kind]"]').selectOption('backup');
    await page.locator('[id="field-form[target_filter]"]').selectOption({ label: `${filterName} (1 tenant)` });
    await page.getByRole('button', { name: 'Request change' }).click();
    await page.getByTestId('filter-outcome').getByText(`Requested 1 change for the saved filter "${filterName}"`).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}change-for-filter.png`, fullPage: true });
    await page.getByTestId('filter-outcome').getByRole('link', { name: 'See them' }).click();
    await page.getByTestId('changes-table').locator('tbody tr', { hasText: slug }).waitFor();
    // A single-use enrollment token for the tenant's agents.
    await page.goto(`${BASE_URL}/tenants/${slug}/endpoints`);
    await page.waitForLoadState('networkidle');
    await page.locator('#field-label').fill('Till 1');
    await page.locator('#field-max_registrations').fill('1');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('enrollment-token').waitFor();
    await page.reload();
    await page.locator('tr', { hasText: 'Till 1' }).getByText('0 of 1').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}tenant-enrollment-tokens.png`, fullPage: true });
    invitation = await inviteTenantAdmin(page, boss, slug);
  } finally {
    await admin.context.close();
  }

  const tenant = await launch();
  try {
    const { page } = tenant;
    await acceptInvitation(page, invitation, 'Dora Delayer');
    await page.goto(changeUrl);
    await page.waitForLoadState('networkidle');
    // Beyond the policy's 2 days the tenant must say why; the vendor decides.
    await page.getByLabel('Delay by (days)').fill('5');
    await page.locator('button[data-action="delay"]').click();
    await page.locator('#err-delay-reason').getByText('beyond the policy\'s 2 days').waitFor();
    await page.locator('#field-delay-reason').fill('Our year-end freeze runs until the 30th');
    await page.locator('button[data-action="delay"]').click();
    await page.getByTestId('delay-outcome').getByText('the vendor\'s approvers decide').waitFor();
    await page.getByTestId('delay-requests').locator('li[data-status="pending"]').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}delay-requested.png`, fullPage: true });
    // The delay limit is the vendor's: the customer reads it, and cannot edit it.
    await page.goto(`${BASE_URL}/tenants/${slug}/update-policy`);
    await page.getByTestId('delay-limit').getByText('2 days, set by the vendor').waitFor();
    assert.equal(await page.locator('[id="field-form[max_delay_days]"]').count(), 0);
    await page.screenshot({ path: `${SCREENSHOTS}tenant-update-policy-customer.png`, fullPage: true });
  } finally {
    await tenant.context.close();
  }

  const vendor = await launch();
  try {
    const { page } = vendor;
    await signIn(page);
    await page.getByTestId('approvals-link').click();
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    const request = page.getByTestId('delay-requests').locator('li', { hasText: slug });
    await request.getByText('Our year-end freeze').waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SCREENSHOTS}approvals-delay.png`, fullPage: true });
    // Denying needs a comment; approving does not.
    await request.getByRole('button', { name: 'Deny' }).click();
    await page.getByTestId('delay-decide-error').getByText('Say why').waitFor();
    await request.getByRole('button', { name: 'Approve delay' }).click();
    await request.waitFor({ state: 'detached' });
    await page.goto(changeUrl);
    await page.getByTestId('delay-requests').locator('li[data-status="approved"]').waitFor();
    await page.getByText('5 days in total').waitFor();
    await waitForStatus(page, 'change-status', 'scheduled');
  } finally {
    await vendor.context.close();
  }
});

test('the Upgrade action asks for a release, shows the policy verdict, and the change runs its steps', async () => {
  const { context, page } = await launch();
  const key = `upgrade-agent-${stamp}`;
  const name = `Upgrade Agent ${stamp}`;
  const slug = `up-${stamp}`;
  try {
    await signIn(page);
    await productWithTwoReleases(page, key, name);
    await readyTenant(page, slug, name);

    await page.goto(`${BASE_URL}/tenants/${slug}`);
    await page.getByTestId('upgrade-link').click();
    await page.waitForURL(`${BASE_URL}/tenants/${slug}/upgrade`);
    const card = page.getByTestId(`upgrade-${key}`);
    const offered = card.locator('li[data-version="1.1.0"]');
    await offered.waitFor();
    assert.equal(await offered.getAttribute('data-allowed'), 'true');
    await offered.getByText('Allowed by the policy.').waitFor();
    assert.equal(await card.locator('li[data-version="1.0.0"]').count(), 0, 'the running version is not offered');
    // A standard tenant's upgrade runs in maintenance; the form says so.
    assert.match(await card.getByTestId('upgrade-path').innerText(), /^In maintenance: /);
    await page.screenshot({ path: `${SCREENSHOTS}tenant-upgrade-form.png`, fullPage: true });
    await card.getByRole('button', { name: 'Request upgrade' }).click();

    // The upgrade is a change request with real steps, run by the executor.
    await page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    await waitForStatus(page, 'change-status', 'succeeded', 60000);
    await page.reload();
    const steps = page.getByTestId('step-log');
    for (const step of ['Deploy 1.1.0', 'Validate health baseline']) {
      await steps.getByText(step, { exact: true }).waitFor();
    }
    await page.screenshot({ path: `${SCREENSHOTS}tenant-upgrade-change.png`, fullPage: true });
    await page.goto(`${BASE_URL}/tenants/${slug}/versions`);
    await page.getByTestId('versions-table').getByText('1.1.0', { exact: true }).waitFor();
  } finally {
    await context.close();
  }
});
