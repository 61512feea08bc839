// Settings → Webhooks: subscribe a real receiver started here (the secret
// is shown once), send a test event, and see the signed delivery arrive and
// its attempt in the endpoint's log; replay the stream from a sequence. And the inbox badge, which follows the
// live feed: it counts up while the page stays put.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch, signIn, onboard, BASE_URL, SCREENSHOTS } from './browser.mjs';

function receiver() {
  const got = { posts: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      got.posts.push({ id: req.headers['webhook-id'], signature: req.headers['webhook-signature'], body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('thanks');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    got.url = `http://127.0.0.1:${server.address().port}/hook`;
    got.close = () => new Promise((done) => server.close(done));
    resolve(got);
  }));
}

test('subscribe a URL, send a test event, see the attempt in the log', async () => {
  const hook = await receiver();
  const { context, page } = await launch({ javaScriptEnabled: true });
  try {
    await signIn(page);
    await page.goto(`${BASE_URL}/settings/webhooks`);
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Webhooks' }).waitFor();
    await page.waitForLoadState('networkidle');

    // A bad URL and an unknown type are refused at their fields.
    await page.getByLabel('URL').fill('ftp://hooks.example');
    await page.getByLabel('Event types').fill('tenant.exploded');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('#field-url[aria-invalid="true"]').waitFor();
    await page.locator('#field-event_types[aria-invalid="true"]').waitFor();

    await page.getByLabel('URL').fill(hook.url);
    await page.getByLabel('Event types').fill('');
    await page.getByLabel('Description').fill('e2e receiver');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const secret = await page.getByTestId('new-webhook-secret-value').textContent();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    await page.screenshot({ path: `${SCREENSHOTS}webhooks.png`, fullPage: true });

    await page.getByTestId('webhooks-table').getByRole('link', { name: hook.url }).click();
    await page.waitForURL(/\/settings\/webhooks\/[0-9a-f-]{36}$/);
    await page.getByTestId('webhook-log-empty').waitFor();
    await page.waitForLoadState('networkidle');
    await page.locator('button[data-action="send-test"]').click();

    // The delivery loop sends it within a second or two.
    let row = page.getByTestId('webhook-log').locator('tr[data-status="200"]');
    for (let i = 0; i < 30 && (await row.count()) === 0; i++) {
      await page.waitForTimeout(500);
      await page.reload();
      row = page.getByTestId('webhook-log').locator('tr[data-status="200"]');
    }
    await row.first().getByText('webhook.test').waitFor();
    await row.first().getByText('thanks').waitFor();
    const test = hook.posts.find((p) => JSON.parse(p.body).type === 'webhook.test');
    assert.ok(test, 'the receiver got the test event');
    assert.match(test.signature, /^v1,/);
    assert.equal(JSON.parse(test.body).id, test.id, 'webhook-id is the event id');
    await page.screenshot({ path: `${SCREENSHOTS}webhook-log.png`, fullPage: true });

    // A receiver that lost its data asks for the stream again from a
    // sequence: what came from there arrives again, each with its webhook-id.
    const other = await context.newPage();
    await onboard(other, { slug: `replay-${Date.now().toString(36)}`, name: 'Replay Co' });
    const created = () => hook.posts.filter((p) => JSON.parse(p.body).type === 'tenant.created');
    for (let i = 0; i < 40 && created().length === 0; i++) await page.waitForTimeout(500);
    const first = JSON.parse(created()[0].body);
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Send again every event from sequence').fill(String(first.sequence));
    await page.locator('button[data-action="replay"]').click();
    const copies = () => hook.posts.filter((p) => p.id === first.id).length;
    for (let i = 0; i < 40 && copies() < 2; i++) await page.waitForTimeout(500);
    assert.equal(copies(), 2, 'the event came again with the same webhook-id');
    await page.reload();
    await page.screenshot({ path: `${SCREENSHOTS}webhook-replayed.png`, fullPage: true });
  } finally {
    await context.close();
    await hook.close();
  }
});

async function unread(page) {
  const badge = page.getByTestId('unread-count');
  return (await badge.count()) === 0 ? 0 : Number((await badge.textContent()).trim());
}

test('the inbox badge updates live when a change completes', async () => {
  const { context, page } = await launch({ javaScriptEnabled: true });
  const stamp = Date.now().toString(36);
  try {
    await signIn(page);
    await page.goto(`${BASE_URL}/`);
    await page.waitForLoadState('networkidle');
    const before = await unread(page);
    const url = page.url();

    // In another tab, the vendor activates a tenant: the change finishes.
    const other = await context.newPage();
    await onboard(other, { slug: `live-${stamp}`, name: `Live ${stamp}` });
    await other.locator('button[data-action="activate"]').click();

    let now = before;
    for (let i = 0; i < 60 && now <= before; i++) {
      await page.waitForTimeout(500);
      now = await unread(page);
    }
    assert.ok(now > before, `the badge counted up without a reload (${before} → ${now})`);
    assert.equal(page.url(), url, 'the page stayed put');
    await page.screenshot({ path: `${SCREENSHOTS}inbox-live.png` });
  } finally {
    await context.close();
  }
});
