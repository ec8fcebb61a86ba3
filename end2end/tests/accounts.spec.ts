import { expect, Page, test } from '@playwright/test';
import { DEMO_PASSWORD, device, expectAccessible, login, open } from './helpers';

/** Tries to sign in and returns the error the login page shows. */
async function refusedSignIn(page: Page, loginName: string, password: string): Promise<string> {
  await open(page, '/login');
  await page.getByTestId('login-name').fill(loginName);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  const error = page.getByTestId('login-error');
  await expect(error).not.toBeEmpty();
  await expect(page).toHaveURL(/\/login$/);
  return (await error.textContent()) ?? '';
}

test('an administrator disables an account, which can no longer sign in, and enables it again', async ({ browser }, info) => {
  const [adminContext, admin] = await device(browser, info);
  await login(admin, 'admin.yoshida', /\/admin$/);
  const list = admin.getByTestId('account-list');
  await expect(list).toBeVisible();
  await expectAccessible(admin);
  // Their own account is listed, and cannot be disabled from here.
  const own = list.locator('[data-login="admin.yoshida"]');
  await expect(own).toHaveCount(1);
  await expect(own.getByTestId('account-toggle')).toHaveCount(0);

  const [userContext, user] = await device(browser, info);
  const wrongPassword = await refusedSignIn(user, 'csw.watanabe', 'not-her-password-2026');

  // Disabling asks first, naming the person; declined, nothing is sent and nothing changes.
  const watanabe = list.locator('[data-login="csw.watanabe"]');
  const name = (await watanabe.getByRole('heading', { level: 2 }).textContent())!.split(' ')[0];
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  const questions: string[] = [];
  let changes = 0;
  admin.on('request', (request) => {
    if (request.url().includes('/api/set_account_disabled')) changes++;
  });
  admin.once('dialog', (dialog) => {
    questions.push(dialog.message());
    void dialog.dismiss();
  });
  await watanabe.getByTestId('account-toggle').click();
  await expect.poll(() => questions.length).toBe(1);
  expect(questions[0]).toContain(name);
  const said = admin.getByTestId('accounts-said');
  await expect(said).toBeEmpty();
  expect(changes).toBe(0);
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  admin.once('dialog', (dialog) => dialog.accept());
  await watanabe.getByTestId('account-toggle').click();
  await expect(said).toContainText('変更しました');
  await expect(said).toContainText(name);
  expect(changes).toBe(1);
  // The keyboard is left where the outcome is said, not on a button that is gone.
  await expect(said).toBeFocused();
  await expect(watanabe).toHaveAttribute('data-disabled', 'true');
  await expect(watanabe.getByTestId('account-disabled')).toBeVisible();
  await expectAccessible(admin);

  // The disabled user is refused at sign-in, told nothing more than a wrong password would.
  expect(await refusedSignIn(user, 'csw.watanabe', DEMO_PASSWORD)).toBe(wrongPassword);

  // Enabled again (no question asked), the same password signs in.
  await watanabe.getByTestId('account-toggle').click();
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  await login(user, 'csw.watanabe', /\/visits$/);
  await userContext.close();
  await adminContext.close();
});

test('a lost phone of a disabled account, once revoked, erases itself at its next contact', async ({ browser }, info) => {
  const [phone, user] = await device(browser, info);
  await login(user, 'csw.watanabe', /\/visits$/);
  await expect(user.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  // It has synced once, so the server knows it.
  await expect(user.getByTestId('last-sync')).toContainText('最終同期');
  const client = await user.getByTestId('sync-status').getAttribute('data-client');
  expect(client).toMatch(/^[0-9a-f-]{36}$/);

  // She has left: the administrator disables her account, then revokes the phone she lost.
  const [office, admin] = await device(browser, info);
  await login(admin, 'admin.yoshida', /\/admin$/);
  const watanabe = admin.getByTestId('account-list').locator('[data-login="csw.watanabe"]');
  admin.once('dialog', (dialog) => dialog.accept());
  await watanabe.getByTestId('account-toggle').click();
  await expect(watanabe).toHaveAttribute('data-disabled', 'true');
  try {
    const phoneRow = watanabe.locator(`[data-testid="account-device"][data-client="${client}"]`);
    admin.once('dialog', (dialog) => dialog.accept());
    await phoneRow.getByTestId('revoke-device').click();
    await expect(phoneRow).toHaveAttribute('data-revoked', 'true');

    // The phone can no longer sign in, yet at its next sync (nothing waiting on it) it is told
    // to erase itself, and does. (Brought to the front, as its owner would; any sync will do.)
    await user.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect(user.getByTestId('device-revoked')).toBeVisible();
    await expect(user.locator('body')).toHaveAttribute('data-device', 'not-set-up');
    await expect
      .poll(() =>
        user.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const request = indexedDB.open('dekapan');
              request.onsuccess = () => {
                const db = request.result;
                const names = Array.from(db.objectStoreNames);
                // Erased as a whole: opening it made a new, empty one.
                if (names.length === 0) {
                  db.close();
                  resolve(0);
                  return;
                }
                const tx = db.transaction(names, 'readonly');
                Promise.all(
                  names.map(
                    (name) =>
                      new Promise<number>((done) => {
                        const count = tx.objectStore(name).count();
                        count.onsuccess = () => done(count.result);
                      }),
                  ),
                ).then((counts) => {
                  db.close();
                  resolve(counts.reduce((a, b) => a + b, 0));
                });
              };
            }),
        ),
      )
      .toBe(0);

  } finally {
    // Her account is enabled again for the other tests, whatever happened above.
    await watanabe.getByTestId('account-toggle').click();
    await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  }
  await phone.close();
  await office.close();
});
