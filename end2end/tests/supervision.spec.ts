import { expect, Page, test } from '@playwright/test';
import { device, expectAccessible, login, open, pressSyncNow, ready, writeNote } from './helpers';

/** Tomorrow's date in Japan, as a date input wants it. */
function tomorrowInJapan(): string {
  return new Date(Date.now() + 9 * 3600_000 + 86_400_000).toISOString().slice(0, 10);
}

/** Presses the sync button and waits until nothing is left to send. */
async function syncNow(page: Page) {
  await pressSyncNow(page);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
}

test('a consultation becomes a joint visit, a returned note is amended and approved, and the agencies grow', async ({ browser }, info) => {
  const tag = `${info.project.name}-${Date.now()}`;
  const pseudonym = `Hさん ${tag}`;

  // A community social worker at a welfare desk registers the consultation, high risk, with
  // a joint first visit for the nurse and a dispatched PSW.
  const [csw, cswPage] = await device(browser, info);
  await login(cswPage, 'csw.takahashi', /\/visits$/);
  await open(cswPage, '/intake');
  await expect(cswPage.getByTestId('intake-routing')).toHaveAttribute('data-program', 'model_program');
  await cswPage.getByTestId('intake-pseudonym').fill(pseudonym);
  await cswPage.getByTestId('intake-risk').selectOption('high');
  await cswPage.getByTestId('intake-day').fill(tomorrowInJapan());
  await cswPage.getByTestId('intake-place').fill('南区の自宅');
  for (const name of ['佐藤 美咲', '鈴木 健']) {
    await cswPage.locator('label.check', { hasText: name }).getByTestId('intake-member').check();
  }
  await expectAccessible(cswPage);
  await cswPage.getByTestId('intake-submit').click();
  await expect(cswPage).toHaveURL(/\/cases\//);
  await expect(cswPage.getByTestId('case-responsible')).toHaveAttribute('data-program', 'model_program');
  await expect(cswPage.getByTestId('case-team')).toHaveAttribute('data-count', '3');
  await expect(cswPage.getByTestId('agency-count-intake')).toHaveText('1');
  await syncNow(cswPage);
  await expect(cswPage.getByTestId('case-unsent')).toHaveCount(0);
  await expectAccessible(cswPage);

  // The nurse and the PSW get the case and its visit; the high risk is on top with the
  // crisis contacts. Both write their notes offline.
  const [nurse, nursePage] = await device(browser, info);
  const [psw, pswPage] = await device(browser, info);
  const authors: [typeof nurse, Page, string][] = [
    [nurse, nursePage, 'nurse.sato'],
    [psw, pswPage, 'psw.suzuki'],
  ];
  for (const [context, page, loginName] of authors) {
    await login(page, loginName, /\/visits$/);
    await expect(page.getByTestId('risk-flag').filter({ hasText: pseudonym })).toBeVisible();
    await page.getByTestId('crisis-toggle').click();
    await expect(page.getByTestId('crisis-contact').first()).toBeVisible();
    await page.getByTestId('visit-item').filter({ hasText: pseudonym }).locator('a').click();
    await expect(page.getByTestId('visit-detail')).toBeVisible();
    await context.setOffline(true);
    await writeNote(page, `${loginName} の記録 ${tag}`);
    await context.setOffline(false);
    await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  }

  // The supervisor of the model program returns the nurse's note with a comment.
  const [boss, bossPage] = await device(browser, info);
  await login(bossPage, 'supervisor.kobayashi', /\/review$/);
  const nurseNote = bossPage.getByTestId('review-item').filter({ hasText: `nurse.sato の記録 ${tag}` });
  await expect(nurseNote).toBeVisible();
  await expect(bossPage.getByTestId('review-item').filter({ hasText: `psw.suzuki の記録 ${tag}` })).toBeVisible();
  await expectAccessible(bossPage);
  await nurseNote.getByTestId('review-comment').fill('服薬状況を追記してください');
  await nurseNote.getByTestId('review-return').click();
  await expect(nurseNote).toHaveCount(0);
  await expect(bossPage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');

  // The comment reaches the nurse's device; she amends the note there.
  await syncNow(nursePage);
  const returned = nursePage.getByTestId('note-item').filter({ hasText: `nurse.sato の記録 ${tag}` });
  await expect(returned.getByTestId('note-review')).toHaveAttribute('data-state', 'returned');
  await expect(returned.getByTestId('note-review-comment')).toContainText('服薬状況を追記してください');
  await returned.getByTestId('note-amend').click();
  await expect(nursePage.getByTestId('amending')).toBeVisible();
  await nursePage.getByTestId('note-medication').fill('服薬は継続している');
  await nursePage.getByTestId('note-submit').click();
  await expect(nursePage.getByTestId('note-saved')).toContainText('保存しました');
  await expect(nursePage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');

  // Back in the queue as revision 2 with its history; the supervisor approves it.
  await syncNow(bossPage);
  const amended = bossPage.getByTestId('review-item').filter({ hasText: '服薬は継続している' });
  await expect(amended).toBeVisible();
  await expect(amended.getByTestId('note-history-review')).toContainText('服薬状況を追記してください');
  await amended.getByTestId('review-approve').click();
  await expect(amended).toHaveCount(0);
  await expect(bossPage.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0');
  await syncNow(nursePage);
  const approved = nursePage.getByTestId('note-item').filter({ hasText: `nurse.sato の記録 ${tag}` });
  await expect(approved.getByTestId('note-review')).toHaveAttribute('data-state', 'approved');
  await expect(approved.getByTestId('note-history-revision')).toHaveCount(2);

  // The supervisor's indicators before the case closes.
  await open(bossPage, '/indicators');
  const grewLine = bossPage.getByTestId('indicator-agencies-grew');
  await expect(grewLine).toBeVisible();
  const grewBefore = Number(await grewLine.getAttribute('data-grew'));
  const closedBefore = Number(await grewLine.getAttribute('data-closed'));

  // At close the social worker records more agencies than at intake and closes the case.
  await syncNow(cswPage);
  for (const count of ['1', '2', '3']) {
    await cswPage.getByTestId('agency-add-select-close').selectOption({ index: 1 });
    await expect(cswPage.getByTestId('agency-count-close')).toHaveText(count);
  }
  await cswPage.getByTestId('case-status-select').selectOption('closed');
  await expect(cswPage.getByTestId('case-saved')).toBeVisible();
  await expect(cswPage.getByTestId('case-status-select')).toHaveValue('closed');
  await syncNow(cswPage);

  // The indicators show one more closed case, and one more where the agencies grew.
  await bossPage.reload();
  await ready(bossPage);
  await expect(grewLine).toHaveAttribute('data-closed', String(closedBefore + 1));
  await expect(grewLine).toHaveAttribute('data-grew', String(grewBefore + 1));
  await expect(bossPage.getByTestId('indicator-closed-cases')).toContainText(pseudonym);
  await expect(bossPage.getByTestId('sync-health-row').first()).toBeVisible();
  // A device that synced minutes ago reads as within the hour, never as "0 hours ago".
  await expect(bossPage.getByTestId('sync-health')).toContainText('1時間以内');
  await expect(bossPage.getByTestId('sync-health')).not.toContainText('0時間前');
  const csv = await bossPage.request.get((await bossPage.getByTestId('export-notes').getAttribute('href'))!);
  expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
  expect(await csv.text()).toContain(`nurse.sato の記録 ${tag}`);
  // The audit log shows who wrote and who reviewed on the case, and exports with the devices.
  const trail = bossPage.getByTestId('audit-row').filter({ hasText: pseudonym });
  for (const action of ['open_case', 'create_note', 'amend_note', 'review_note']) {
    await expect(trail.and(bossPage.locator(`[data-action="${action}"]`)).first()).toBeVisible();
  }
  const audit = await bossPage.request.get((await bossPage.getByTestId('export-audit').getAttribute('href'))!);
  expect(await audit.text()).toContain(pseudonym);
  await expectAccessible(bossPage);

  for (const context of [csw, nurse, psw, boss]) {
    await context.close();
  }
});
