import { Browser, BrowserContext, expect, Page, TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** The password of every demo account. */
export const DEMO_PASSWORD = 'dekapan-demo-2026';

/** Opens a page and waits until the app has hydrated and is interactive. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await ready(page);
}

/**
 * Waits until a freshly loaded page has hydrated and its device has read its key store; when
 * the lock screen stands in for the page (as after every reload or new tab), unlocks the device
 * with the demo passphrase, as its owner would.
 */
export async function ready(page: Page) {
  await page.locator('body[data-hydrated="true"]').waitFor();
  await page.locator('body[data-device]:not([data-device="opening"])').waitFor();
  // The login page stands open on a locked device; every other page shows the lock screen.
  if ((await page.getByTestId('unlock-form').count()) > 0) {
    await unlock(page);
  }
}

/** Unlocks the device's data through the lock screen. */
export async function unlock(page: Page, passphrase = DEMO_PASSWORD) {
  await page.getByTestId('unlock-passphrase').fill(passphrase);
  await page.getByTestId('unlock-submit').click();
  await page.locator('body[data-device="unlocked"]').waitFor();
}

/** Signs in through the login form and waits for the start page. */
export async function login(page: Page, loginName: string, start: RegExp) {
  await open(page, '/login');
  await page.getByTestId('login-name').fill(loginName);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(start);
  await expect(page.getByTestId('whoami')).toHaveCount(1);
}

/**
 * Opens the header's menu where it is folded (a phone; a tablet shows its content in the
 * header), as a person would before reaching the navigation, the language or signing out.
 */
export async function openMenu(page: Page) {
  const button = page.getByTestId('menu-button');
  if ((await button.isVisible()) && (await button.getAttribute('aria-expanded')) !== 'true') {
    await button.click();
  }
  await expect(page.getByTestId('lang-switch')).toBeVisible();
}

/** Opens the sync details under the sync mark in the header. */
export async function openSyncDetails(page: Page) {
  const mark = page.getByTestId('sync-mark');
  if ((await mark.getAttribute('aria-expanded')) !== 'true') {
    await mark.click();
  }
  await expect(page.getByTestId('sync-details')).toBeVisible();
}

/** Presses "sync now" in the sync details. */
export async function pressSyncNow(page: Page) {
  await openSyncDetails(page);
  await page.getByTestId('sync-now').click();
}

/** Switches the interface's language from the header's menu. */
export async function switchLanguage(page: Page) {
  await openMenu(page);
  await page.getByTestId('lang-switch').click();
}

/** Follows a link of the header's navigation, by its text. */
export async function navigate(page: Page, name: string) {
  await openMenu(page);
  await page.getByTestId('app-nav').getByRole('link', { name }).click();
}

/** Signs out through the header. */
export async function logout(page: Page) {
  await openMenu(page);
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('login-form')).toBeVisible();
}

/** Runs axe-core on the page and fails on any WCAG A/AA violation. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary).toEqual([]);
}

/** A new browser context, as a separate device, with the project's screen. */
export async function device(browser: Browser, info: TestInfo): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({
    baseURL: info.project.use.baseURL,
    viewport: info.project.use.viewport,
    isMobile: info.project.use.isMobile,
    hasTouch: info.project.use.hasTouch,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
  });
  return [context, await context.newPage()];
}

/** Fills the required fields of a note with `nextSteps` and saves it on the device. */
export async function writeNote(page: Page, nextSteps: string) {
  const form = page.getByTestId('note-form');
  await form.getByTestId('note-met_with').fill('本人');
  await form.getByTestId('note-mental_state').fill('落ち着いて話せた');
  await form.getByTestId('note-next_steps').fill(nextSteps);
  await form.getByTestId('note-submit').click();
  await expect(form.getByTestId('note-saved')).toContainText('保存しました');
}

/**
 * The keys of the drafts kept in the device's database (keys are ids; values are sealed); none
 * when the database holds no drafts store (it was erased).
 */
export async function draftKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const opening = indexedDB.open('dekapan');
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const db = opening.result;
          if (!db.objectStoreNames.contains('drafts')) {
            db.close();
            resolve([]);
            return;
          }
          const keys = db.transaction('drafts').objectStore('drafts').getAllKeys();
          keys.onerror = () => reject(keys.error);
          keys.onsuccess = () => {
            db.close();
            resolve(keys.result.map(String));
          };
        };
      }),
  );
}
