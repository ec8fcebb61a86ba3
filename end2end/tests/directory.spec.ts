import { expect, test } from '@playwright/test';
import { device, expectAccessible, login, navigate, open, pressSyncNow, ready, switchLanguage } from './helpers';

test('the hubs directory opens offline, narrows by function, hub and words, and calls', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);

  // With no signal, from the navigation, and again after a reload.
  await context.setOffline(true);
  await navigate(page, '拠点・協力事業所');
  await expect(page).toHaveURL(/\/directory$/);
  const entries = page.getByTestId('directory-entry');
  await expect(entries.first()).toBeVisible();
  await page.reload();
  await ready(page);
  await expect(entries.first()).toBeVisible();
  const everything = await entries.count();
  expect(everything).toBeGreaterThan(5);
  await expect(page.getByTestId('directory-count')).toHaveText(`${everything} 件`);
  await expectAccessible(page);

  // Those taking emergencies come first, each with a number to call.
  await expect(entries.first().getByTestId('directory-function-badge').first()).toHaveText('緊急時の受入れ・対応');
  await expect(entries.first().getByTestId('directory-call')).toHaveAttribute('href', /^tel:[0-9-]+$/);

  // A function: every business shown is registered under it.
  await page.getByTestId('directory-function').selectOption('experience');
  const trying = await entries.count();
  expect(trying).toBeGreaterThan(0);
  expect(trying).toBeLessThan(everything);
  for (let i = 0; i < trying; i++) {
    await expect(entries.nth(i).getByTestId('directory-function-badge').filter({ hasText: '体験の機会・場' })).toHaveCount(1);
  }

  // A hub: every business shown is of it.
  await page.getByTestId('directory-function').selectOption('');
  const hub = page.getByTestId('directory-hub');
  const hubName = (await hub.locator('option').nth(1).textContent()) ?? '';
  await hub.selectOption({ index: 1 });
  const ofHub = await entries.count();
  expect(ofHub).toBeGreaterThan(0);
  expect(ofHub).toBeLessThan(everything);
  for (let i = 0; i < ofHub; i++) {
    await expect(entries.nth(i).locator('.directory-hub')).toHaveText(hubName);
  }

  // Words find a business by what it offers; words that match nothing say so.
  await hub.selectOption('');
  await page.getByTestId('directory-words').fill('短期入所 あおば');
  await expect(entries).toHaveCount(1);
  await expect(entries.first().locator('h2')).toHaveText('短期入所 あおば');
  await page.getByTestId('directory-words').fill('歯科');
  await expect(page.getByTestId('directory-empty')).toBeVisible();

  // In English, the functions and the page speak English; the businesses keep their names.
  await page.getByTestId('directory-words').fill('');
  await switchLanguage(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hubs and businesses');
  await expect(entries.first().getByTestId('directory-function-badge').first()).toHaveText('Emergency acceptance and response');
  await expect(page.getByTestId('directory-count')).toHaveText(`${everything} businesses`);
  await context.close();
});

test('a business suggested to a case offline shows at once and reaches the supervisor after sync', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await page.getByTestId('case-link').click();
  await expect(page).toHaveURL(/\/cases\//);
  const caseUrl = new URL(page.url()).pathname;
  const program = await page.getByTestId('case-responsible').getAttribute('data-program');

  // Offline, a business of the directory is suggested to the team; it shows, not sent yet.
  await context.setOffline(true);
  await expect(page.getByTestId('net-state')).toHaveAttribute('data-online', 'false');
  const select = page.getByTestId('suggest-select');
  // Each screen size suggests another business: the scenarios share one server.
  const option = select.locator('option').nth(info.project.name === 'phone' ? 1 : 2);
  const name = ((await option.textContent()) ?? '').split(' · ')[0];
  await select.selectOption({ index: info.project.name === 'phone' ? 1 : 2 });
  await page.getByTestId('suggest-submit').click();
  const suggestion = page.getByTestId('case-suggestion').filter({ hasText: name });
  await expect(suggestion).toHaveCount(1);
  await expect(suggestion.getByTestId('suggestion-unsent')).toBeVisible();
  await expect(suggestion.getByTestId('suggestion-call')).toHaveAttribute('href', /^tel:[0-9-]+$/);

  // Back online, it is sent by itself.
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await expect(suggestion.getByTestId('suggestion-unsent')).toHaveCount(0);
  await expectAccessible(page);
  await context.close();

  // The supervisor of the case's program sees it on the case.
  const [supervisorContext, supervisorPage] = await device(browser, info);
  const supervisor = program === 'model_program' ? 'supervisor.kobayashi' : 'supervisor.kato';
  await login(supervisorPage, supervisor, /\/review$/);
  await expect(supervisorPage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await open(supervisorPage, caseUrl);
  const seen = supervisorPage.getByTestId('case-suggestion').filter({ hasText: name });
  await expect(seen).toHaveCount(1);
  await expect(seen.locator('.suggestion-by')).toContainText('田中');
  await supervisorContext.close();
});

test('the administrator edits the directory, a field device sees it after sync, bad input is said on its field', async ({ browser }, info) => {
  const name = `夜間支援 ${info.project.name}-${Date.now()}`;
  const [fieldContext, field] = await device(browser, info);
  await login(field, 'nurse.sato', /\/visits$/);
  const [adminContext, admin] = await device(browser, info);
  await login(admin, 'admin.yoshida', /\/admin$/);
  const form = admin.getByTestId('listing-form');
  await expect(admin.getByTestId('listing-admin').first()).toBeVisible();
  const listed = await admin.getByTestId('listing-admin').count();

  // No name, no function, a number nobody can dial: each said on its field, nothing saved.
  await form.getByTestId('listing-phone').fill('電話して');
  await form.getByTestId('listing-hub').selectOption({ index: 1 });
  await form.getByTestId('listing-submit').click();
  await expect(form.getByTestId('listing-name-error')).toHaveText('入力してください');
  await expect(form.getByTestId('listing-functions-error')).toHaveText('入力してください');
  await expect(form.getByTestId('listing-phone-error')).toContainText('電話番号の形ではありません');
  await expect(form.getByTestId('listing-name')).toBeFocused();
  await expect(admin.getByTestId('listing-admin')).toHaveCount(listed);

  // Added, then its number changed.
  await form.getByTestId('listing-name').fill(name);
  await form.locator('[data-testid="listing-function"][value="emergency"]').check();
  await form.getByTestId('listing-phone').fill('042-600-7777');
  await form.getByTestId('listing-submit').click();
  await expect(admin.getByTestId('listing-said')).toContainText('保存しました');
  const item = admin.locator(`[data-testid="listing-admin"][data-name="${name}"]`);
  await expect(item).toContainText('042-600-7777');
  await item.getByTestId('listing-edit').click();
  await expect(form.getByTestId('listing-name')).toHaveValue(name);
  await form.getByTestId('listing-phone').fill('042-600-8888');
  await form.getByTestId('listing-submit').click();
  await expect(item).toContainText('042-600-8888');
  await expectAccessible(admin);
  await adminContext.close();

  // The field device, at its next sync, finds it with the new number.
  await pressSyncNow(field);
  await expect(field.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await navigate(field, '拠点・協力事業所');
  await field.getByTestId('directory-words').fill(name);
  const entry = field.getByTestId('directory-entry');
  await expect(entry).toHaveCount(1);
  await expect(entry.getByTestId('directory-call')).toHaveAttribute('href', 'tel:042-600-8888');
  await fieldContext.close();
});
