import { expect, Page, test, TestInfo } from '@playwright/test';
import {
  device,
  expectAccessible,
  login,
  navigate,
  open,
  openMenu,
  openSyncDetails,
  pressSyncNow,
  ready,
  switchLanguage,
  writeNote,
} from './helpers';

/** Whether the test runs on the phone's screen (360×740). */
function onPhone(info: TestInfo): boolean {
  return info.project.name === 'phone';
}

/**
 * Every visible tap target on the page (links, buttons, fields, folding summaries; a check box
 * or radio button counts with its label) that is less than 44 px wide or high.
 */
async function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    const targets = document.querySelectorAll<HTMLElement>(
      'a[href], button, select, textarea, input, summary, [role="button"]',
    );
    for (const element of targets) {
      const target =
        element instanceof HTMLInputElement && ['checkbox', 'radio'].includes(element.type)
          ? (element.closest('label') ?? element)
          : element;
      const box = target.getBoundingClientRect();
      const style = getComputedStyle(target);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      if (target.closest('.sr-only, .skip-link')) continue;
      if (box.width < 44 || box.height < 44) {
        const name = (target.textContent ?? '').trim().slice(0, 30) || target.getAttribute('aria-label') || target.tagName;
        small.push(`${name} (${Math.round(box.width)}×${Math.round(box.height)})`);
      }
    }
    return small;
  });
}

test('on a phone the header is one line: the page, the sync mark, a menu with the rest', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  const header = page.locator('header.app-header');
  if (onPhone(info)) {
    expect((await header.boundingBox())!.height).toBeLessThanOrEqual(64);
    await expect(page.getByTestId('page-name')).toHaveText('訪問予定');
    await expect(page.getByTestId('app-nav')).toBeHidden();
  }

  // The menu reaches the navigation, the language and signing out.
  await openMenu(page);
  await expect(page.getByTestId('app-nav').getByRole('link', { name: '拠点・協力事業所' })).toBeVisible();
  await expect(page.getByTestId('logout')).toBeVisible();
  await expect(page.getByTestId('whoami')).toBeVisible();
  await expectAccessible(page);
  await navigate(page, '拠点・協力事業所');
  await expect(page).toHaveURL(/\/directory$/);
  if (onPhone(info)) {
    // Going somewhere folds the menu away and names the new page.
    await expect(page.getByTestId('app-nav')).toBeHidden();
    await expect(page.getByTestId('page-name')).toHaveText('拠点・協力事業所');
  }

  // In English the header stays one line too.
  await switchLanguage(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hubs and businesses');
  if (onPhone(info)) {
    await page.getByTestId('menu-button').click();
    await expect(page.getByTestId('app-nav')).toBeHidden();
    expect((await header.boundingBox())!.height).toBeLessThanOrEqual(64);
  }
  await switchLanguage(page);
  await context.close();
});

test('the sync mark carries the unsent count; a tap opens the details and sync now', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  const badge = page.getByTestId('unsynced-count');
  await expect(badge).toBeHidden();

  await context.setOffline(true);
  await expect(page.getByTestId('net-state')).toHaveAttribute('data-online', 'false');
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await page.getByTestId('write-note').click();
  await writeNote(page, `バッジ ${Date.now()}`);
  await expect(badge).toBeVisible();
  await expect(badge).toHaveText('1');
  await expect(page.getByTestId('sync-mark')).toHaveAccessibleName(/未送信 1 件/);

  await openSyncDetails(page);
  await expect(page.getByTestId('unsynced-text')).toHaveText('未送信 1 件');
  await expect(page.getByTestId('last-sync')).toContainText('最終同期');
  await expectAccessible(page);
  await context.setOffline(false);
  await pressSyncNow(page);
  await expect(badge).toHaveAttribute('data-count', '0');
  await expect(badge).toBeHidden();
  await context.close();
});

test('today comes first: the first card of the visit list is today, on the first screen', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  const list = page.getByTestId('visit-list');
  await expect(list).toBeVisible();
  await expect(list.locator('h2.day').first()).toContainText('今日');
  const first = page.getByTestId('visit-item').first();
  await expect(first).toBeInViewport({ ratio: 1 });
  // Nothing else drawn as a card comes before it.
  const before = await page.evaluate(() => {
    const card = document.querySelector('[data-testid="visit-item"]')!;
    return [...document.querySelectorAll('main .card')].filter(
      (c) => c.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).length;
  });
  expect(before).toBe(0);

  // The high-risk box: a line a case; the crisis contacts one tap away, and folded again.
  const flags = page.getByTestId('risk-flags');
  await expect(flags).toBeInViewport();
  for (const line of await flags.getByTestId('risk-flag').all()) {
    expect((await line.boundingBox())!.height).toBeLessThanOrEqual(52);
  }
  await expect(page.getByTestId('crisis-contact').first()).toBeHidden();
  await page.getByTestId('crisis-toggle').click();
  await expect(page.getByTestId('crisis-contact').first().locator('a[href^="tel:"]')).toBeVisible();
  await expectAccessible(page);

  // Every tap target of the list is at least 44×44 px, and so on a visit and the directory.
  expect(await smallTapTargets(page)).toEqual([]);
  await first.getByRole('link').click();
  await expect(page.getByTestId('visit-detail')).toBeVisible();
  expect(await smallTapTargets(page)).toEqual([]);
  await navigate(page, '拠点・協力事業所');
  await expect(page.getByTestId('directory-entry').first()).toBeVisible();
  expect(await smallTapTargets(page)).toEqual([]);
  await context.close();
});

test('on a visit the note form is one tap from the top; summary and notes fold away', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await expect(page.getByTestId('visit-detail')).toBeVisible();
  const field = page.getByTestId('note-met_with');
  if (onPhone(info)) await expect(field).not.toBeInViewport();

  await page.getByTestId('write-note').click();
  await expect(field).toBeFocused();
  await expect(field).toBeInViewport();
  await expect(page.locator('#note-form-title')).toBeInViewport();

  // The case summary and earlier notes fold and unfold.
  const summary = page.getByTestId('case-summary');
  await expect(summary.getByTestId('life-goal')).toBeVisible();
  await page.getByTestId('case-summary-toggle').click();
  await expect(summary.getByTestId('life-goal')).toBeHidden();
  const notes = page.getByTestId('notes-fold');
  await expect(notes).toHaveAttribute('open', '');
  await page.getByTestId('notes-toggle').click();
  await expect(notes).not.toHaveAttribute('open');
  if (onPhone(info)) {
    // Folded, the form starts on the first screen.
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect(page.locator('#note-form-title')).toBeInViewport();
  }
  await page.getByTestId('notes-toggle').click();
  await expect(notes).toHaveAttribute('open', '');
  await expectAccessible(page);
  await context.close();
});

test('the storage warning is one line that explains itself and stays dismissed on the device', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  // A browser that does not promise to keep the data.
  await context.addInitScript(() => {
    Object.defineProperty(navigator, 'storage', {
      value: { persist: async () => false, persisted: async () => false, estimate: async () => ({}) },
    });
  });
  await login(page, 'nurse.sato', /\/visits$/);
  const warning = page.getByTestId('storage-warning');
  await expect(warning).toBeVisible();
  expect((await warning.boundingBox())!.height).toBeLessThanOrEqual(50);
  await page.getByTestId('storage-warning-summary').click();
  await expect(warning).toContainText('空き容量が少なくなると');
  await expectAccessible(page);

  await page.getByTestId('storage-warning-dismiss').click();
  await expect(warning).toHaveCount(0);
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await expect(warning).toHaveCount(0);
  await context.close();
});

test('in English a co-visitor line puts the agency in plain brackets, the list in commas', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  const lines = page.getByTestId('visit-list').getByTestId('visit-covisitors');
  await expect(lines.filter({ hasText: /（.+）/ }).first()).toBeVisible();
  await switchLanguage(page);
  await expect(page.getByTestId('visit-list').getByRole('heading', { name: /Today/ })).toBeVisible();
  // Agency names may stay Japanese; the punctuation around them follows the language.
  await expect(lines.filter({ hasText: /\S \(.+\)/ }).first()).toBeVisible();
  await expect(lines.filter({ hasText: /[（）、]/ })).toHaveCount(0);
  await context.close();
});

test('the intake lists the agencies grouped by kind, with the registering agency ticked', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'csw.takahashi', /\/visits$/);
  await open(page, '/intake');
  const agencies = page.getByTestId('intake-agencies');
  const boxes = agencies.getByTestId('intake-agency');
  await expect(boxes.first()).toBeVisible();
  // Every agency sits in a group named after its kind.
  const groups = agencies.getByTestId('intake-agency-kind');
  expect(await groups.count()).toBeGreaterThanOrEqual(4);
  expect(await groups.getByTestId('intake-agency').count()).toBe(await boxes.count());
  const desks = agencies.getByRole('group', { name: 'はちまるサポート', exact: true });
  await expect(desks).toHaveAttribute('data-kind', 'welfare_desk');
  await expect(agencies.getByRole('group', { name: '保健所', exact: true })).toBeVisible();
  // The social worker's own desk, where the consultation is taken in, is ticked, and only it.
  const ticked = agencies.locator('input[data-testid="intake-agency"]:checked');
  await expect(ticked).toHaveCount(1);
  await expect(desks.locator('input:checked')).toHaveCount(1);
  const deskName = (await desks.locator('label.check', { has: page.locator('input:checked') }).textContent())!.trim();
  await expect(page.getByTestId('intake-routing')).toContainText(deskName);
  await expectAccessible(page);

  // In English the kinds are named in English; the choice stays.
  await switchLanguage(page);
  await expect(agencies.getByRole('group', { name: 'Welfare desk', exact: true }).locator('input:checked')).toHaveCount(1);
  await expect(agencies.getByRole('group', { name: 'Public health center', exact: true })).toBeVisible();
  await switchLanguage(page);
  await context.close();

  // A hospital's psychiatric worker takes consultations in for the public health center: it is ticked.
  const [second, psw] = await device(browser, info);
  await login(psw, 'psw.suzuki', /\/visits$/);
  await open(psw, '/intake');
  const center = psw.getByTestId('intake-agencies').getByRole('group', { name: '保健所', exact: true });
  await expect(center.locator('input:checked')).toHaveCount(1);
  await expect(psw.locator('input[data-testid="intake-agency"]:checked')).toHaveCount(1);
  await second.close();
});
