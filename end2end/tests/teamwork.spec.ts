import { expect, test } from '@playwright/test';
import { device, login, open, pressSyncNow, writeNote } from './helpers';

test('two teammates edit the same visit offline and both edits survive', async ({ browser }, info) => {
  const tag = `${info.project.name}-${Date.now()}`;
  const [psw, pswPage] = await device(browser, info);
  const [nurse, nursePage] = await device(browser, info);

  // A dispatched psychiatric social worker and the nurse share a visit.
  await login(pswPage, 'psw.suzuki', /\/visits$/);
  // One of the demo visits still planned: the scenarios share one server, and others add visits.
  const item = pswPage
    .locator('[data-testid="visit-item"][data-status="planned"]')
    .filter({ hasNotText: 'Hさん' })
    .nth(info.project.name === 'phone' ? 0 : 1);
  const visitId = await item.getAttribute('data-visit-id');
  await login(nursePage, 'nurse.sato', /\/visits$/);
  await expect(nursePage.getByTestId('visit-list')).toBeVisible();
  for (const page of [pswPage, nursePage]) {
    await open(page, `/visits/${visitId}`);
    await expect(page.getByTestId('visit-detail')).toBeVisible();
  }

  // Both lose the network and each writes a note and sets the visit's status differently.
  await psw.setOffline(true);
  await nurse.setOffline(true);
  await expect(nursePage.getByTestId('net-state')).toHaveAttribute('data-online', 'false');
  await writeNote(nursePage, `看護師の記録 ${tag}`);
  await nursePage.getByTestId('visit-status-select').selectOption('cancelled');
  await writeNote(pswPage, `PSWの記録 ${tag}`);
  await pswPage.getByTestId('visit-status-select').selectOption('not_met');
  for (const page of [pswPage, nursePage]) {
    await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '2');
    await expect(page.getByTestId('note-unsent')).toHaveCount(1);
  }

  // The nurse comes back first, then the PSW; the nurse syncs again to see the PSW's work.
  await nurse.setOffline(false);
  await expect(nursePage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await psw.setOffline(false);
  await expect(pswPage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await pressSyncNow(nursePage);

  for (const page of [pswPage, nursePage]) {
    // Both notes are there, synced, on both devices.
    for (const text of [`看護師の記録 ${tag}`, `PSWの記録 ${tag}`]) {
      const note = page.getByTestId('note-item').filter({ hasText: text });
      await expect(note).toHaveAttribute('data-synced', 'true');
    }
    // The later status wins and the other is kept beside it, with its author.
    await expect(page.getByTestId('visit-detail').getByTestId('visit-status')).toHaveText('会えず');
    const conflict = page.locator(`[data-testid="conflict"][data-record="${visitId}"][data-field="status"]`);
    await expect(conflict.getByTestId('conflict-winner')).toHaveText('会えず');
    await expect(conflict.getByTestId('conflict-replaced')).toHaveText('中止');
  }

  // Offline again, each settles the conflict her own way; the nurse's arrives first. The PSW's
  // is refused, kept on her device, and the reason reads in Japanese.
  await psw.setOffline(true);
  await nurse.setOffline(true);
  for (const [page, keep] of [
    [nursePage, 'conflict-keep-replaced'],
    [pswPage, 'conflict-keep-winner'],
  ] as const) {
    const conflict = page.locator(`[data-testid="conflict"][data-record="${visitId}"][data-field="status"]`);
    await conflict.getByTestId(keep).click();
    await expect(conflict).toHaveCount(0);
  }
  await nurse.setOffline(false);
  await expect(nursePage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await psw.setOffline(false);
  const refused = pswPage.getByTestId('refused-item');
  await expect(refused.getByTestId('refused-reason')).toHaveText('この食い違いは、すでに別の人が解決しています。');
  await expect(refused.locator('.refused-content')).toHaveText('食い違いの解決');
  for (const page of [pswPage, nursePage]) {
    await expect(page.getByTestId('visit-detail').getByTestId('visit-status')).toHaveText('中止');
  }
  await psw.close();
  await nurse.close();
});
