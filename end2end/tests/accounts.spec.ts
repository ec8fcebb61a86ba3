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

  // Disabling asks first; declined, nothing changes.
  const watanabe = list.locator('[data-login="csw.watanabe"]');
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  admin.once('dialog', (dialog) => dialog.dismiss());
  await watanabe.getByTestId('account-toggle').click();
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  admin.once('dialog', (dialog) => dialog.accept());
  await watanabe.getByTestId('account-toggle').click();
  const said = admin.getByTestId('accounts-said');
  await expect(said).toContainText('変更しました');
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
