import { expect, Page, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { DEMO_PASSWORD, expectAccessible, login, logout, open } from './helpers';

/** The bytes of a base32 secret (RFC 4648, no padding). */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The code an authenticator app shows at `at` (RFC 6238: SHA-1, 30 s, 6 digits). */
function totp(secret: string, at: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const hash = createHmac('sha1', base32(secret)).update(message).digest();
  const offset = hash[19] & 0x0f;
  const bits = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
  return String(bits % 1_000_000).padStart(6, '0');
}

/** Types login and password on the login page and submits. */
async function signIn(page: Page, loginName: string) {
  await open(page, '/login');
  await page.getByTestId('login-name').fill(loginName);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
}

/** Types a code in the login form's code field and submits. */
async function typeCode(page: Page, code: string) {
  await page.getByTestId('login-code').fill(code);
  await page.getByTestId('login-submit').click();
}

test('two-step sign-in: set up with an authenticator app, then each sign-in asks for a code', async ({ page }, info) => {
  // Each screen size takes its own account: the scenarios share one server.
  const user = info.project.name === 'phone' ? 'csw.yamamoto' : 'doctor.ito';
  await login(page, user, /\/visits$/);
  await open(page, '/security');
  await expect(page.getByTestId('tfa-off')).toBeVisible();
  await page.getByTestId('tfa-start').click();
  const secret = (await page.getByTestId('tfa-secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);

  // A wrong first code turns nothing on; the right one does, with ten recovery codes shown once.
  await page.getByTestId('tfa-code').fill('000000');
  await page.getByTestId('tfa-confirm').click();
  await expect(page.getByTestId('tfa-error')).not.toBeEmpty();
  await page.getByTestId('tfa-code').fill(totp(secret, Date.now()));
  await page.getByTestId('tfa-confirm').click();
  await expect(page.getByTestId('tfa-recovery-code')).toHaveCount(10);
  await expect(page.getByTestId('tfa-on')).toBeVisible();
  await expectAccessible(page);
  const recovery = (await page.getByTestId('tfa-recovery-code').first().textContent())!.trim();
  await logout(page);

  // The password alone is not enough now; a wrong code is refused.
  await signIn(page, user);
  await expect(page.getByTestId('login-code')).toBeVisible();
  await expect(page.getByTestId('login-error')).toContainText('6桁のコード');
  await expect(page).toHaveURL(/\/login$/);
  await typeCode(page, '000000');
  await expect(page.getByTestId('login-error')).toContainText('コードが違う');
  await expect(page).toHaveURL(/\/login$/);
  await expectAccessible(page);

  // The app's next code signs in (the one used to turn it on is spent).
  await typeCode(page, totp(secret, Date.now() + 30_000));
  await expect(page).toHaveURL(/\/visits$/);
  await logout(page);

  // A recovery code works once.
  await signIn(page, user);
  await typeCode(page, recovery);
  await expect(page).toHaveURL(/\/visits$/);
  await logout(page);
  await signIn(page, user);
  await typeCode(page, recovery);
  await expect(page.getByTestId('login-error')).toContainText('コードが違う');
  await expect(page).toHaveURL(/\/login$/);
});
