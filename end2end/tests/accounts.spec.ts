import { expect, Page, test } from '@playwright/test';
import { DEMO_PASSWORD, device, expectAccessible, login, logout, navigate, open, unlock } from './helpers';

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

test('an administrator opens an account; its owner must change the first passphrase; a forgotten one is issued again', async ({ browser }, info) => {
  const newLogin = `nurse.new-${info.project.name}`;
  const name = `中村 彩 ${info.project.name}`;
  const [adminContext, admin] = await device(browser, info);
  await login(admin, 'admin.yoshida', /\/admin$/);
  const form = admin.getByTestId('new-account');
  await expect(form).toBeVisible();

  // Said beside its field, nothing sent: a login with capitals, no agency; a login taken is
  // refused by the server.
  let sent = 0;
  admin.on('request', (request) => {
    if (request.url().endsWith('/api/create_account')) sent += 1;
  });
  await form.getByTestId('new-login').fill('Nurse Nakamura');
  await form.getByTestId('new-name').fill(name);
  await form.getByTestId('new-account-submit').click();
  await expect(form.getByTestId('new-home_agency-error')).toContainText('入力してください');
  await form.getByTestId('new-agency').selectOption({ label: '八王子市保健所' });
  await form.getByTestId('new-account-submit').click();
  await expect(form.getByTestId('new-login-error')).toContainText('英小文字');
  await expect(form.getByTestId('new-login')).toHaveAttribute('aria-invalid', 'true');
  expect(sent).toBe(0);
  await form.getByTestId('new-login').fill('nurse.sato');
  await form.getByTestId('new-account-submit').click();
  await expect(form.getByTestId('new-login-error')).toContainText('すでに使われています');
  expect(sent).toBe(1);
  await expectAccessible(admin);

  // Opened: the first passphrase is shown once, where the keyboard is, and the list has her.
  await form.getByTestId('new-login').fill(newLogin);
  await form.getByTestId('new-role').selectOption('nurse');
  await form.getByTestId('new-account-submit').click();
  const created = admin.getByTestId('account-created');
  await expect(created).toBeFocused();
  await expect(created.getByTestId('created-login')).toHaveText(newLogin);
  const first = (await created.getByTestId('created-passphrase').textContent())!.trim();
  expect(first).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  const row = admin.getByTestId('account-list').locator(`[data-login="${newLogin}"]`);
  await expect(row).toContainText(name);
  await expectAccessible(admin);

  // Her first sign-in, with the passphrase handed over: nothing else until she changes it.
  const [, nurse] = await device(browser, info);
  await open(nurse, '/login');
  await nurse.getByTestId('login-name').fill(newLogin);
  await nurse.getByTestId('login-password').fill(first);
  await nurse.getByTestId('login-submit').click();
  await expect(nurse).toHaveURL(/\/security$/);
  await expect(nurse.getByTestId('passphrase-required')).toBeVisible();
  await expect(nurse.getByTestId('whoami')).toContainText(name);
  await expectAccessible(nurse);
  const own = `中村さんだけの合言葉 ${info.project.name}`;
  await nurse.getByTestId('passphrase-current').fill(first);
  await nurse.getByTestId('passphrase-new').fill(own);
  await nurse.getByTestId('passphrase-repeat').fill(own);
  await nurse.getByTestId('passphrase-submit').click();
  await expect(nurse.getByTestId('passphrase-status')).toContainText('変更しました');
  await expect(nurse.getByTestId('passphrase-required')).toHaveCount(0);
  // Now the app is hers: her visits page stays.
  await navigate(nurse, '訪問予定');
  await expect(nurse.getByRole('heading', { level: 1, name: '訪問予定' })).toBeVisible();
  await expect(nurse).toHaveURL(/\/visits$/);

  // She forgets it: the administrator issues a new one, shown once, and can hide it.
  admin.once('dialog', (dialog) => dialog.accept());
  await row.getByTestId('account-reissue').click();
  await expect(created).toBeFocused();
  const issued = (await created.getByTestId('created-passphrase').textContent())!.trim();
  expect(issued).not.toBe(first);
  await created.getByTestId('hide-issued').click();
  await expect(created).toHaveCount(0);
  await adminContext.close();
  // Her own passphrase no longer signs in; the issued one does, and asks for a change again.
  expect(await refusedSignIn(nurse, newLogin, own)).toContain('パスワードが違います');
  await nurse.getByTestId('login-password').fill(issued);
  await nurse.getByTestId('login-submit').click();
  await expect(nurse).toHaveURL(/\/security$/);
  await expect(nurse.getByTestId('passphrase-required')).toBeVisible();
});
