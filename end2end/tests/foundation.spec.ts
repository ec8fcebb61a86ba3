import { expect, test } from '@playwright/test';
import { expectAccessible, login, logout, open, ready, switchLanguage } from './helpers';

test('a nurse records a note on a visit and the supervisor sees it', async ({ page }, info) => {
  // 1. The nurse signs in and sees her visits for today and the coming days.
  await login(page, 'nurse.sato', /\/visits$/);
  const list = page.getByTestId('visit-list');
  await expect(list).toBeVisible();
  await expect(list.getByRole('heading', { name: /今日/ })).toBeVisible();
  const planned = list.locator('[data-testid="visit-item"][data-status="planned"]');
  await expect(planned.first()).toBeVisible();
  await expect(planned.first().getByTestId('visit-pseudonym')).not.toBeEmpty();
  await expect(planned.first().getByTestId('visit-window')).toContainText(/\d\d:\d\d–\d\d:\d\d/);
  await expect(planned.first().getByTestId('visit-place')).not.toBeEmpty();
  await expect(list.getByTestId('visit-covisitors').filter({ hasText: /（.+）/ }).first()).toBeVisible();
  await expectAccessible(page);

  // 2. She opens a visit: life goal with the medical and welfare views, team, risk, notes.
  const visit = planned.first();
  const pseudonym = (await visit.getByTestId('visit-pseudonym').textContent())!.trim();
  await visit.getByRole('link').click();
  await expect(page).toHaveURL(/\/visits\/[0-9a-f-]{36}$/);
  const summary = page.getByTestId('case-summary');
  await expect(summary).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: pseudonym })).toBeVisible();
  for (const part of ['life-goal', 'medical-view', 'welfare-view']) {
    await expect(summary.getByTestId(part)).toBeVisible();
  }
  await expect(summary.getByTestId('team-member').nth(1)).toBeVisible();
  await expect(summary.getByTestId('case-risk')).not.toBeEmpty();
  const program = await summary.getByTestId('case-program').getAttribute('data-program');
  await expect(page.getByTestId('visit-detail').getByTestId('visit-status')).toHaveText('予定');
  await expectAccessible(page);

  // 3. A note missing its required fields is refused; what she typed stays in the form.
  const form = page.getByTestId('note-form');
  await form.getByTestId('note-free_text').fill('玄関先で話した。');
  await form.getByTestId('note-submit').click();
  await expect(form.getByTestId('field-error-met_with')).toBeVisible();
  await expect(form.getByTestId('field-error-mental_state')).toBeVisible();
  await expect(form.getByTestId('note-free_text')).toHaveValue('玄関先で話した。');

  // She completes it and submits; the visit shows as done.
  const nextSteps = `来週火曜に再訪（${info.project.name}-${Date.now()}）`;
  await form.getByTestId('note-met_with').fill('本人');
  await form.getByTestId('note-mental_state').fill('表情は穏やかで会話も続いた');
  await form.getByTestId('note-medication').fill('内服は継続できている');
  await form.getByTestId('note-daily_living').fill('食事は一日二回');
  await form.getByTestId('note-risks').fill('特になし');
  await form.getByTestId('note-agreed').fill('次回は一緒に買い物に行く');
  await form.getByTestId('note-next_steps').fill(nextSteps);
  await form.getByTestId('note-submit').click();
  await expect(form.getByTestId('note-saved')).toContainText('保存しました');
  await expect(page.getByTestId('visit-detail').getByTestId('visit-status')).toHaveText('完了');
  await expect(page.getByTestId('note-item').filter({ hasText: nextSteps })).toBeVisible();
  await expect(form.getByTestId('note-free_text')).toHaveValue('');

  // 4. The supervisor of the case's program sees the new note among the recent notes (on the
  //    same device, once the nurse's note has gone).
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await logout(page);
  const supervisor = program === 'model_program' ? 'supervisor.kobayashi' : 'supervisor.kato';
  await login(page, supervisor, /\/review$/);
  const item = page.getByTestId('review-item').filter({ hasText: nextSteps });
  await expect(item).toBeVisible();
  await expect(item.getByTestId('review-pseudonym')).toHaveText(pseudonym);
  await expectAccessible(page);
});

test('the interface is Japanese by default and English on request, remembered', async ({ page }) => {
  await open(page, '/login');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(page.getByTestId('login-submit')).toHaveText('ログイン');

  await switchLanguage(page);
  await expect(page.getByTestId('login-submit')).toHaveText('Sign in');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  // Remembered across a reload and on every page.
  await page.reload();
  await expect(page.getByTestId('login-submit')).toHaveText('Sign in');
  await login(page, 'nurse.tanaka', /\/visits$/);
  await expect(page.getByRole('heading', { level: 1, name: 'My visits' })).toBeVisible();
  await expect(page.getByTestId('logout')).toHaveText('Sign out');
  await expectAccessible(page);

  await switchLanguage(page);
  await expect(page.getByRole('heading', { level: 1, name: '訪問予定' })).toBeVisible();
  await page.reload();
  await ready(page);
  await expect(page.getByRole('heading', { level: 1, name: '訪問予定' })).toBeVisible();
});

test('a wrong password gets a clear message and keeps the login name', async ({ page }) => {
  await open(page, '/login');
  await page.getByTestId('login-name').fill('nurse.sato');
  await page.getByTestId('login-password').fill('wrong-password-here');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toHaveText('ログインIDまたはパスワードが違います。');
  await expect(page.getByTestId('login-name')).toHaveValue('nurse.sato');
  await expect(page).toHaveURL(/\/login$/);
});

test('a visit outside the nurse\'s team is not shown', async ({ page }) => {
  await login(page, 'nurse.sato', /\/visits$/);
  // Her list has come down: the device holds what she may see, so a visit it lacks is not hers.
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await open(page, '/visits/00000000-0000-0000-0000-000000000000');
  await expect(page.getByTestId('page-error')).toContainText('見つからないか');
});
