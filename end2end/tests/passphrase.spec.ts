import { expect, Page, test } from '@playwright/test';
import { DEMO_PASSWORD, device, draftKeys, expectAccessible, login, open, pressSyncNow, unlock, writeNote } from './helpers';

/** Fills the passphrase form and sends it. */
async function changePassphrase(page: Page, current: string, next: string, repeat = next) {
  await page.getByTestId('passphrase-current').fill(current);
  await page.getByTestId('passphrase-new').fill(next);
  await page.getByTestId('passphrase-repeat').fill(repeat);
  await page.getByTestId('passphrase-submit').click();
}

/**
 * Changes nurse.tanaka's passphrase on `page` (at `/security`, signed in as her) from the demo
 * one to `changed`, runs `scenario`, then changes it back, whatever happens: the other scenarios
 * on this server sign in with the demo passphrase.
 */
async function withChangedPassphrase(page: Page, changed: string, scenario: () => Promise<void>) {
  let restored = false;
  try {
    await changePassphrase(page, DEMO_PASSWORD, changed);
    await expect(page.getByTestId('passphrase-status')).toContainText('変更しました');
    await scenario();
    await page.goto('/security');
    await page.locator('body[data-device="locked"]').waitFor();
    await unlock(page, changed);
    await changePassphrase(page, changed, DEMO_PASSWORD);
    await expect(page.getByTestId('passphrase-status')).toContainText('変更しました');
    restored = true;
  } finally {
    if (!restored) {
      const back = await page.request.post('/api/change_passphrase', { form: { current: changed, new: DEMO_PASSWORD } });
      // Refused when the change itself never happened; said, without hiding the first failure.
      if (!back.ok()) console.warn(`restoring the demo passphrase: HTTP ${back.status()}`);
    }
  }
}

test('a nurse changes her passphrase; her other phone keeps its unsent note with the previous one', async ({ browser }, info) => {
  const changed = `坂の上の団地に朝の光 ${info.project.name}`;
  const nextSteps = `パスフレーズ変更の前に書いた記録 ${info.project.name}-${Date.now()}`;

  // Her other phone: a note written offline waits on it.
  const [otherContext, other] = await device(browser, info);
  await login(other, 'nurse.tanaka', /\/visits$/);
  const visitId = await other.getByTestId('visit-item').first().getAttribute('data-visit-id');
  await other.getByTestId('visit-item').first().getByRole('link').click();
  await expect(other.getByTestId('visit-detail')).toBeVisible();
  await otherContext.setOffline(true);
  await writeNote(other, nextSteps);
  await expect(other.getByTestId('unsynced-count')).toHaveAttribute('data-count', '1');

  // On her tablet she changes the passphrase from the sign-in settings.
  const [tablet, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await open(page, '/security');
  await expect(page.getByTestId('passphrase-form')).toBeVisible();
  await expectAccessible(page);
  let sent = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/api/change_passphrase')) sent += 1;
  });
  // Typed differently twice, or too short: said beside the field, nothing sent.
  await changePassphrase(page, DEMO_PASSWORD, changed, `${changed}。`);
  await expect(page.getByTestId('passphrase-repeat-error')).toContainText('一致しません');
  await expect(page.getByTestId('passphrase-repeat')).toHaveAttribute('aria-invalid', 'true');
  await changePassphrase(page, DEMO_PASSWORD, '短い');
  await expect(page.getByTestId('passphrase-new-error')).toContainText('12文字以上');
  expect(sent).toBe(0);
  // A wrong current passphrase: refused by the server, said beside the field.
  await changePassphrase(page, 'これは今のではない合言葉', changed);
  await expect(page.getByTestId('passphrase-current-error')).toContainText('正しくありません');
  expect(sent).toBe(1);
  await expectAccessible(page);
  // Changed, and changed back at the end whatever happens.
  try {
    await withChangedPassphrase(page, changed, async () => {
      await expect(page.getByTestId('passphrase-current')).toHaveValue('');
      await expect(page.getByTestId('passphrase-current-error')).toBeEmpty();
      // This device now opens with the new passphrase only.
      await page.reload();
      await page.locator('body[data-device="locked"]').waitFor();
      await page.getByTestId('unlock-passphrase').fill(DEMO_PASSWORD);
      await page.getByTestId('unlock-submit').click();
      await expect(page.getByTestId('unlock-error')).not.toBeEmpty();
      await unlock(page, changed);
      await expect(page.getByTestId('second-factor')).toBeVisible();

      // The other phone's sign-in has ended. Online again, its note still waits; signing in with
      // the new passphrase asks once for the previous one, which carries the note over, and it
      // is sent.
      await otherContext.setOffline(false);
      await pressSyncNow(other);
      await expect(other.getByTestId('sync-problem')).toBeVisible();
      await expect(other.getByTestId('unsynced-count')).toHaveAttribute('data-count', '1');
      await open(other, '/login');
      await other.getByTestId('login-name').fill('nurse.tanaka');
      await other.getByTestId('login-password').fill(changed);
      await other.getByTestId('login-submit').click();
      await expect(other.getByTestId('login-error')).toContainText('最後に使ったパスフレーズ');
      await expect(other.getByTestId('login-previous')).toBeFocused();
      // Unsent work is on it: giving up what cannot be opened is not offered.
      await expect(other.getByTestId('discard-drafts')).toHaveCount(0);
      await expectAccessible(other);
      await other.getByTestId('login-previous').fill('覚え違いの合言葉です');
      await other.getByTestId('previous-submit').click();
      await expect(other.getByTestId('login-error')).toContainText('開けません');
      await other.getByTestId('login-previous').fill(DEMO_PASSWORD);
      await other.getByTestId('previous-submit').click();
      await expect(other).toHaveURL(/\/visits$/);
      await expect(other.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
      // From now on that phone, too, opens with the new passphrase.
      await other.reload();
      await other.locator('body[data-device="locked"]').waitFor();
      await unlock(other, changed);

      // The note reached the server: her tablet receives it.
      await page.goto(`/visits/${visitId}`);
      await page.locator('body[data-device="locked"]').waitFor();
      await unlock(page, changed);
      await pressSyncNow(page);
      await expect(page.getByTestId('note-item').filter({ hasText: nextSteps })).toHaveAttribute('data-synced', 'true');
    });
  } finally {
    await otherContext.close();
    await tablet.close();
  }
});

test('with only a draft left under a forgotten previous passphrase, she may discard it and go on', async ({ browser }, info) => {
  const changed = `忘れた前の合言葉のあと ${info.project.name}`;
  const draft = `書きかけの下書き ${info.project.name}-${Date.now()}`;

  // Her phone holds a draft, nothing unsent.
  const [phoneContext, phone] = await device(browser, info);
  await login(phone, 'nurse.tanaka', /\/visits$/);
  await phone.getByTestId('visit-item').first().getByRole('link').click();
  await phone.getByTestId('note-mental_state').fill(draft);
  await expect.poll(() => draftKeys(phone).then((keys) => keys.length)).toBe(1);
  await expect(phone.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');

  const [tablet, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await open(page, '/security');
  // Changed, and changed back at the end whatever happens.
  try {
    await withChangedPassphrase(page, changed, async () => {
      // Signed in on the phone with the new passphrase: asked for the previous one, which she has
      // forgotten. Declining the warning keeps everything; accepting discards the draft only.
      await open(phone, '/login');
      await phone.getByTestId('login-name').fill('nurse.tanaka');
      await phone.getByTestId('login-password').fill(changed);
      await phone.getByTestId('login-submit').click();
      await expect(phone.getByTestId('login-previous')).toBeFocused();
      const discard = phone.getByTestId('discard-drafts');
      phone.once('dialog', (dialog) => dialog.dismiss());
      await discard.click();
      await expect(phone).toHaveURL(/\/login$/);
      expect(await draftKeys(phone).then((keys) => keys.length)).toBe(1);
      phone.once('dialog', (dialog) => dialog.accept());
      await discard.click();
      await expect(phone).toHaveURL(/\/visits$/);
      await expect(phone.locator('body')).toHaveAttribute('data-device', 'unlocked');
      expect(await draftKeys(phone).then((keys) => keys.length)).toBe(0);
      // The phone is hers again, under the new passphrase, with her visits pulled anew.
      await expect(phone.getByTestId('visit-item').first()).toBeVisible();
      await phone.getByTestId('visit-item').first().getByRole('link').click();
      await expect(phone.getByTestId('note-mental_state')).toHaveValue('');
    });
  } finally {
    await phoneContext.close();
    await tablet.close();
  }
});
