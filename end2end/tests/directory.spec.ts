import { expect, test } from '@playwright/test';
import { device, expectAccessible, login, ready } from './helpers';

test('the hubs directory opens offline, narrows by function, hub and words, and calls', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);

  // With no signal, from the navigation, and again after a reload.
  await context.setOffline(true);
  await page.getByRole('link', { name: '拠点・協力事業所' }).click();
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
  await page.getByTestId('lang-switch').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hubs and businesses');
  await expect(entries.first().getByTestId('directory-function-badge').first()).toHaveText('Emergency acceptance and response');
  await expect(page.getByTestId('directory-count')).toHaveText(`${everything} businesses`);
  await context.close();
});
