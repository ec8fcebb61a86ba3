import { expect, Page, test } from '@playwright/test';
import { DEMO_PASSWORD, device, expectAccessible, login, logout, open, openMenu, unlock, writeNote } from './helpers';

/**
 * Everything in the device's IndexedDB, keys and values, as text: strings as they are, binary
 * values decoded as UTF-8 (so that any plain text inside them would show).
 */
async function dumpDeviceStorage(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const done = <T,>(request: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const text = (value: unknown): string => {
      if (value instanceof ArrayBuffer) return new TextDecoder().decode(value);
      if (ArrayBuffer.isView(value)) return new TextDecoder().decode(value);
      if (typeof value === 'string') return value;
      if (value && typeof value === 'object') {
        return Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `${k}=${text(v)}`)
          .join(' ');
      }
      return String(value);
    };
    const db = await done(indexedDB.open('dekapan'));
    const dump: Record<string, string> = {};
    for (const name of Array.from(db.objectStoreNames)) {
      const store = db.transaction(name, 'readonly').objectStore(name);
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
      dump[name] = [...keys.map(text), ...values.map(text)].join('\n');
    }
    db.close();
    return dump;
  });
}

/** Types into a note field and waits until the device's store of drafts has taken it in. */
async function typeDraft(page: Page, field: string, text: string) {
  const before = (await dumpDeviceStorage(page)).drafts;
  await page.getByTestId(field).fill(text);
  await expect.poll(async () => (await dumpDeviceStorage(page)).drafts).not.toBe(before);
}

/** Opens the nurse's first visit and says which it is. */
async function firstVisit(page: Page): Promise<string> {
  await expect(page.getByTestId('visit-list')).toBeVisible();
  const item = page.getByTestId('visit-item').first();
  const visitId = (await item.getAttribute('data-visit-id'))!;
  await item.getByRole('link').click();
  await expect(page.getByTestId('visit-detail')).toBeVisible();
  return visitId;
}

test('the device keeps only opaque ids and ciphertext, and signing out wipes it', async ({ browser }, info) => {
  const tag = `${info.project.name}-${Date.now()}`;
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await firstVisit(page);
  const goal = (await page.getByTestId('life-goal').locator('p').textContent())?.trim() ?? '';

  // A saved note and a half-typed draft, offline, so both sit on the device only.
  await context.setOffline(true);
  await writeNote(page, `植えた記録 ${tag}`);
  await typeDraft(page, 'note-mental_state', `書きかけの下書き ${tag}`);

  const dump = await dumpDeviceStorage(page);
  expect(dump.outbox.length).toBeGreaterThan(0);
  expect(dump.drafts.length).toBeGreaterThan(0);
  expect(dump.records.length).toBeGreaterThan(0);
  const everything = Object.values(dump).join('\n');
  for (const planted of [`植えた記録 ${tag}`, `書きかけの下書き ${tag}`, '落ち着いて話せた', DEMO_PASSWORD]) {
    expect(everything).not.toContain(planted);
  }
  if (goal.length > 3) expect(everything).not.toContain(goal);
  // The same data reads back on screen: it is encrypted, not lost.
  await expect(page.getByTestId('note-item').filter({ hasText: `植えた記録 ${tag}` })).toBeVisible();

  // Signing out on a shared device sends what waits, then leaves nothing behind.
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await logout(page);
  await expect(page.locator('body[data-device="not-set-up"]')).toBeAttached();
  const after = await dumpDeviceStorage(page);
  expect(Object.values(after).join('')).toBe('');
  await context.close();
});

test('a quiet device locks itself offline and opens again with the passphrase only', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await page.clock.install();
  await login(page, 'nurse.sato', /\/visits$/);
  await firstVisit(page);
  await context.setOffline(true);
  const draft = `鍵のかかる前の下書き ${info.project.name}`;
  await typeDraft(page, 'note-mental_state', draft);

  // Five minutes untouched (the default): the lock screen stands in for the case.
  await page.clock.fastForward('05:30');
  await expect(page.getByTestId('device-lock')).toBeVisible();
  await expect(page.getByTestId('visit-detail')).toHaveCount(0);
  await expectAccessible(page);

  // A wrong passphrase says so and opens nothing.
  await page.getByTestId('unlock-passphrase').fill('まちがった合言葉のままです');
  await page.getByTestId('unlock-submit').click();
  await expect(page.getByTestId('unlock-error')).not.toBeEmpty();
  await expect(page.locator('body')).toHaveAttribute('data-device', 'locked');

  // The right one opens the device, offline, where the nurse left off.
  await unlock(page);
  await expect(page.getByTestId('visit-detail')).toBeVisible();
  await expect(page.getByTestId('note-mental_state')).toHaveValue(draft);
  await context.close();
});

test('after the offline grant ends, unsent notes wait for an online sign-in and go first', async ({ browser }, info) => {
  const tag = `${info.project.name}-${Date.now()}`;
  const [context, page] = await device(browser, info);
  await page.clock.install();
  await login(page, 'nurse.sato', /\/visits$/);
  const visitId = await firstVisit(page);
  await context.setOffline(true);
  await writeNote(page, `期限切れ前の記録 ${tag}`);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '1');

  // Three days later (the default grant is 72 hours) the passphrase no longer opens the device.
  await page.clock.fastForward(73 * 60 * 60 * 1000);
  await expect(page.locator('body')).toHaveAttribute('data-device', 'grant-ended');
  await expect(page.getByTestId('grant-ended')).toBeVisible();
  await expect(page.getByTestId('lock-waiting')).toHaveAttribute('data-count', '1');
  await expect(page.getByTestId('unlock-form')).toHaveCount(0);

  // Online again: signing out keeps what waits (it cannot be sent while locked); the nurse signs
  // in and the note waiting on the device is sent before anything else.
  await context.setOffline(false);
  await openMenu(page);
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator('body')).not.toHaveAttribute('data-device', 'not-set-up');
  await expect(page.getByTestId('login-form')).toBeVisible();
  await page.getByTestId('login-name').fill('nurse.sato');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/visits$/);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await page.goto(`/visits/${visitId}`);
  await unlock(page);
  await expect(page.getByTestId('note-item').filter({ hasText: `期限切れ前の記録 ${tag}` })).toHaveAttribute(
    'data-synced',
    'true',
  );
  await context.close();
});

test('a revoked device first sends what waits, then wipes itself', async ({ browser }, info) => {
  const tag = `${info.project.name}-${Date.now()}`;
  const [phone, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await firstVisit(page);
  const program = await page.getByTestId('case-program').getAttribute('data-program');
  const client = await page.getByTestId('sync-status').getAttribute('data-client');
  expect(client).toMatch(/^[0-9a-f-]{36}$/);
  await phone.setOffline(true);
  await writeNote(page, `失くす前の記録 ${tag}`);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '1');

  // The phone is reported lost; the supervisor of the case's program revokes it.
  const [office, boss] = await device(browser, info);
  const supervisor = program === 'model_program' ? 'supervisor.kobayashi' : 'supervisor.kato';
  await login(boss, supervisor, /\/review$/);
  await open(boss, '/indicators');
  const row = boss.locator(`[data-testid="sync-health-row"][data-client="${client}"]`);
  // It asks first, since it cannot be undone.
  boss.once('dialog', (dialog) => dialog.accept());
  await row.getByTestId('revoke-device').click();
  await expect(row).toHaveAttribute('data-revoked', 'true');

  // Back online, the phone sends its note first, then wipes its data, caches and worker.
  await phone.setOffline(false);
  await expect(page.getByTestId('device-revoked')).toBeVisible();
  await expect(page.getByTestId('note-form')).toHaveCount(0);
  await expectAccessible(page);
  await expect.poll(async () => Object.values(await dumpDeviceStorage(page)).join('')).toBe('');
  await expect.poll(() => page.evaluate(async () => (await caches.keys()).length)).toBe(0);
  await expect
    .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length))
    .toBe(0);

  // The note it carried reached the supervisor.
  await open(boss, '/review');
  await expect(boss.getByTestId('review-item').filter({ hasText: `失くす前の記録 ${tag}` })).toBeVisible();
  await phone.close();
  await office.close();
});

test('a supervisor opens a case outside the program only with a stated reason, and it is audited', async ({ browser }, info) => {
  const [nurseDevice, nurse] = await device(browser, info);
  await login(nurse, 'nurse.sato', /\/visits$/);
  const visitId = await firstVisit(nurse);
  const program = await nurse.getByTestId('case-program').getAttribute('data-program');
  const pseudonym = (await nurse.getByTestId('visit-detail').getByRole('heading', { level: 1 }).textContent())!.trim();
  await nurseDevice.close();
  const [outsider, owner] =
    program === 'model_program' ? ['supervisor.kato', 'supervisor.kobayashi'] : ['supervisor.kobayashi', 'supervisor.kato'];

  // Outside the program the case is not there, unless the glass is broken with a reason.
  const [office, boss] = await device(browser, info);
  await login(boss, outsider, /\/review$/);
  await open(boss, `/visits/${visitId}`);
  await expect(boss.getByTestId('page-error')).toBeVisible();
  await boss.getByTestId('break-glass-reason').fill('急ぎ');
  await boss.getByTestId('break-glass-submit').click();
  await expect(boss.getByTestId('break-glass-error')).toContainText('10');
  await expect(boss.getByTestId('visit-detail')).toHaveCount(0);
  const reason = `夜間に本人から緊急の電話があり、服薬状況を確認する ${info.project.name}`;
  await boss.getByTestId('break-glass-reason').fill(reason);
  await boss.getByTestId('break-glass-submit').click();
  const opened = boss.locator('[data-testid="visit-detail"][data-access="break-glass"]');
  await expect(opened.getByRole('heading', { level: 1 })).toHaveText(pseudonym);
  await expect(boss.getByTestId('break-glass-notice')).toBeVisible();
  // The case stands in place of the refusal: no "not found" left above it.
  await expect(boss.getByTestId('page-error')).toHaveCount(0);
  await expect(opened.getByTestId('case-summary')).toBeVisible();
  await expectAccessible(boss);
  await office.close();

  // The case's own supervisor sees who opened it, and why, in the audit log.
  const [home, ownerPage] = await device(browser, info);
  await login(ownerPage, owner, /\/review$/);
  await open(ownerPage, '/indicators');
  const row = ownerPage.locator('[data-testid="audit-row"][data-action="break_glass"]').filter({ hasText: reason });
  await expect(row).toBeVisible();
  await home.close();
});

test('a case opened by breaking the glass shows each note where it stands in review', async ({ browser }, info) => {
  const tag = `break-glass ${info.project.name}-${Date.now()}`;
  // A nurse records a note, online, and the case's own supervisor approves it.
  const [nurseDevice, nurse] = await device(browser, info);
  await login(nurse, 'nurse.sato', /\/visits$/);
  const visitId = await firstVisit(nurse);
  const program = await nurse.getByTestId('case-program').getAttribute('data-program');
  await writeNote(nurse, tag);
  await expect(nurse.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await nurseDevice.close();
  const [outsider, owner] =
    program === 'model_program' ? ['supervisor.kato', 'supervisor.kobayashi'] : ['supervisor.kobayashi', 'supervisor.kato'];
  const [home, ownerPage] = await device(browser, info);
  await login(ownerPage, owner, /\/review$/);
  const item = ownerPage.getByTestId('review-item').filter({ hasText: tag });
  await item.getByTestId('review-approve').click();
  await expect(item).toHaveCount(0);
  await expect(ownerPage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await home.close();

  // A supervisor outside the program breaks the glass: the note reads as approved, not waiting.
  const [office, boss] = await device(browser, info);
  await login(boss, outsider, /\/review$/);
  await open(boss, `/visits/${visitId}`);
  await expect(boss.getByTestId('page-error')).toBeVisible();
  await boss.getByTestId('break-glass-reason').fill(`本人の主治医から緊急の照会があり記録を確認する ${tag}`);
  await boss.getByTestId('break-glass-submit').click();
  const opened = boss.locator('[data-testid="visit-detail"][data-access="break-glass"]');
  await expect(opened).toBeVisible();
  await expect(boss.getByTestId('page-error')).toHaveCount(0);
  const note = opened.getByTestId('note-item').filter({ hasText: tag });
  await expect(note.getByTestId('note-review')).toHaveAttribute('data-state', 'approved');
  await expect(note.getByTestId('note-review')).toHaveText('承認済み');
  await expectAccessible(boss);
  await office.close();
});
