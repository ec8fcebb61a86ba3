import { expect, Page, test } from '@playwright/test';
import { device, draftKeys, expectAccessible, login, ready, writeNote } from './helpers';

test('after one online login the app works offline, across reloads and closed tabs', async ({ browser }, info) => {
  const nextSteps = `電波のない団地で記録 ${info.project.name}-${Date.now()}`;
  const [context, page] = await device(browser, info);

  // Online once: sign in; the visits come onto the device and the service worker takes over.
  await login(page, 'nurse.tanaka', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  const visitId = await page.getByTestId('visit-item').first().getAttribute('data-visit-id');

  // Offline: a reload still opens the app, the list and the case.
  await context.setOffline(true);
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await expect(page.getByTestId('net-state')).toHaveAttribute('data-online', 'false');
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await expect(page.getByTestId('case-summary')).toBeVisible();
  const program = await page.getByTestId('case-program').getAttribute('data-program');
  await expectAccessible(page);

  // Half a note typed, then the tab is closed: the draft is still there in a new tab.
  await page.getByTestId('note-mental_state').fill('表情は硬いが会話はできた');
  await page.close();
  let tab = await context.newPage();
  await tab.goto(`/visits/${visitId}`);
  await ready(tab);
  await expect(tab.getByTestId('note-mental_state')).toHaveValue('表情は硬いが会話はできた');

  // The note is saved on the device and waits to be sent, even across another closed tab.
  await writeNote(tab, nextSteps);
  await expect(tab.getByTestId('unsynced-count')).toHaveAttribute('data-count', '1');
  await tab.close();
  tab = await context.newPage();
  await tab.goto(`/visits/${visitId}`);
  await ready(tab);
  const note = tab.getByTestId('note-item').filter({ hasText: nextSteps });
  await expect(note).toHaveAttribute('data-synced', 'false');
  await expect(tab.getByTestId('note-mental_state')).toHaveValue('');

  // Back online: the outbox drains by itself.
  await context.setOffline(false);
  await expect(tab.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await expect(note).toHaveAttribute('data-synced', 'true');
  await context.close();

  // The supervisor of the case's program sees the note.
  const [, supervisorPage] = await device(browser, info);
  const supervisor = program === 'model_program' ? 'supervisor.kobayashi' : 'supervisor.kato';
  await login(supervisorPage, supervisor, /\/review$/);
  await expect(supervisorPage.getByTestId('review-item').filter({ hasText: nextSteps })).toBeVisible();
});

test('a life goal half typed offline survives a reload, and is forgotten as a draft once saved', async ({ browser }, info) => {
  const goal = `坂の上の部屋で季節を越す ${info.project.name}-${Date.now()}`;
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await page.getByTestId('case-link').click();
  await expect(page).toHaveURL(/\/cases\//);
  const textarea = page.getByTestId('goal-life_goal');
  const save = page.getByTestId('goal-save-life_goal');
  const goalDrafts = async () => (await draftKeys(page)).filter((k) => /^case\/.+\/life_goal$/.test(k));

  // Typed offline, not saved, and the page reloaded: the text is still in the field.
  await context.setOffline(true);
  await textarea.fill(goal);
  await expect(save).toBeEnabled();
  await expect.poll(goalDrafts).toHaveLength(1);
  await page.reload();
  await ready(page);
  await expect(textarea).toHaveValue(goal);
  await expect(save).toBeEnabled();

  // Saved: it waits in the outbox, its draft is gone from the device, and after another
  // reload it shows as the case's goal, with nothing left to save.
  await save.click();
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '1');
  await expect.poll(goalDrafts).toHaveLength(0);
  await page.reload();
  await ready(page);
  await expect(textarea).toHaveValue(goal);
  await expect(save).toBeDisabled();

  // Typing and then typing back to the saved text leaves no draft behind.
  await textarea.fill(`${goal} 追記`);
  await expect.poll(goalDrafts).toHaveLength(1);
  await textarea.fill(goal);
  await expect(save).toBeDisabled();
  await expect.poll(goalDrafts).toHaveLength(0);

  // Online again, it is sent.
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await context.close();
});

test('two windows of the app on one device, both offline, both keep their notes', async ({ browser }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const [first, second] = [`一つ目の窓の記録 ${stamp}`, `二つ目の窓の記録 ${stamp}`];
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  const visitId = await page.getByTestId('visit-item').first().getAttribute('data-visit-id');
  await page.goto(`/visits/${visitId}`);
  await ready(page);
  const program = await page.getByTestId('case-program').getAttribute('data-program');

  // A second window of the app on the same visit, opened before either writes anything.
  const other = await context.newPage();
  await other.goto(`/visits/${visitId}`);
  await ready(other);

  // Offline, each window saves a note: the second one's number was taken by the first, so it
  // takes the next one instead of overwriting the first window's note.
  await context.setOffline(true);
  await writeNote(page, first);
  await writeNote(other, second);
  await expect(other.getByTestId('unsynced-count')).toHaveAttribute('data-count', '2');
  await expect(other.getByTestId('note-item').filter({ hasText: first })).toBeVisible();
  await expect(other.getByTestId('note-item').filter({ hasText: second })).toBeVisible();

  // Online again, both windows sync, and the server has both notes.
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await expect(other.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await context.close();
  const [, supervisorPage] = await device(browser, info);
  const supervisor = program === 'model_program' ? 'supervisor.kobayashi' : 'supervisor.kato';
  await login(supervisorPage, supervisor, /\/review$/);
  for (const text of [first, second]) {
    await expect(supervisorPage.getByTestId('review-item').filter({ hasText: text })).toBeVisible();
  }
});

test('the network back while a sync sent offline is still failing: the note goes at once', async ({ browser }, info) => {
  const nextSteps = `電波が戻る瞬間の記録 ${info.project.name}-${Date.now()}`;
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await expect(page.getByTestId('visit-detail')).toBeVisible();

  // The first push leaves while there is no network and takes its time to fail; the browser
  // says the network is back before it has.
  let sent!: () => void;
  const pushSent = new Promise<void>((resolve) => (sent = resolve));
  let fail!: () => void;
  const failNow = new Promise<void>((resolve) => (fail = resolve));
  let pushes = 0;
  await page.route('**/sync/push', async (route) => {
    pushes += 1;
    if (pushes > 1) return route.continue();
    sent();
    await failNow;
    await route.abort('internetdisconnected');
  });
  await writeNote(page, nextSteps);
  await pushSent;
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  fail();

  // It does not wait for the next periodic sync (thirty seconds away): it is sent now.
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0', { timeout: 10_000 });
  expect(pushes).toBe(2);
  await expect(page.getByTestId('net-state')).toHaveAttribute('data-online', 'true');
  await context.close();
});

test('a first sync that fails on a bad line is tried again within seconds, and says so', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  // A new device on a bad line: its first two pulls fail at the server's door.
  let pulls = 0;
  await page.route('**/sync/pull', (route) => {
    pulls += 1;
    return pulls <= 2 ? route.fulfill({ status: 503, body: 'busy' }) : route.continue();
  });
  await login(page, 'nurse.tanaka', /\/visits$/);

  // The person is told the device keeps trying, rather than shown progress as if all were well.
  await expect(page.getByTestId('first-sync-state')).toContainText('すぐにもう一度試します');
  await expectAccessible(page);

  // The visits arrive after the third try (2 s and 4 s later), not at the loop's next turn
  // thirty seconds away.
  await expect(page.getByTestId('visit-list')).toBeVisible({ timeout: 15_000 });
  expect(pulls).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId('first-sync')).toHaveCount(0);
  await context.close();
});

test('screens never opened online open offline: their code came with the app', async ({ browser }, info) => {
  // Online, a nurse only signs in and sees her visit list; then the network goes.
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.tanaka', /\/visits$/);
  await expect(page.getByTestId('visit-item').first()).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await context.setOffline(true);

  // The visit page, the case page and the intake form open for the first time, offline.
  await page.getByTestId('visit-item').first().getByRole('link').click();
  await expect(page.getByTestId('case-summary')).toBeVisible();
  await page.getByTestId('case-link').click();
  await expect(page.getByTestId('case-page')).toBeVisible();
  await page.goto('/intake');
  await ready(page);
  await expect(page.getByTestId('intake-form')).toBeVisible();
  await context.close();

  // A supervisor signs in (the review queue is her start page); offline, the open conflicts
  // and the directory open for the first time.
  const [bossContext, boss] = await device(browser, info);
  await login(boss, 'supervisor.kato', /\/review$/);
  await boss.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await bossContext.setOffline(true);
  await boss.goto('/conflicts');
  await ready(boss);
  await expect(boss.getByTestId('conflicts-empty').or(boss.getByTestId('conflict-list'))).toBeVisible();
  await boss.goto('/directory');
  await ready(boss);
  await expect(boss.getByTestId('directory-list')).toBeVisible();
  await bossContext.close();
});
