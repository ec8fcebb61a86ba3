import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD, device, expectAccessible, login, open } from './helpers';

test('an administrator disables an account, which can no longer sign in, and enables it again', async ({ browser }, info) => {
  const [adminContext, admin] = await device(browser, info);
  await login(admin, 'admin.yoshida', /\/admin$/);
  const list = admin.getByTestId('account-list');
  await expect(list).toBeVisible();
  await expectAccessible(admin);
  // Their own account cannot be disabled from here.
  await expect(list.locator('[data-login="admin.yoshida"]').getByTestId('account-toggle')).toHaveCount(0);

  const watanabe = list.locator('[data-login="csw.watanabe"]');
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  await watanabe.getByTestId('account-toggle').click();
  await expect(admin.getByTestId('accounts-said')).toContainText('変更しました');
  await expect(watanabe).toHaveAttribute('data-disabled', 'true');
  await expect(watanabe.getByTestId('account-disabled')).toBeVisible();
  await expectAccessible(admin);

  // The disabled user is refused at sign-in, told nothing more than a wrong password would.
  const [userContext, user] = await device(browser, info);
  await open(user, '/login');
  await user.getByTestId('login-name').fill('csw.watanabe');
  await user.getByTestId('login-password').fill(DEMO_PASSWORD);
  await user.getByTestId('login-submit').click();
  await expect(user.getByTestId('login-error')).toBeVisible();
  await expect(user).toHaveURL(/\/login$/);

  // Enabled again, the same password signs in.
  await watanabe.getByTestId('account-toggle').click();
  await expect(watanabe).toHaveAttribute('data-disabled', 'false');
  await login(user, 'csw.watanabe', /\/visits$/);
  await userContext.close();
  await adminContext.close();
});
