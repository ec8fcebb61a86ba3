import { expect, test } from '@playwright/test';
import { device, login, unlock } from '../tests/helpers';

/** The median of some durations, in milliseconds. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test('device figures: saving a note, opening offline', async ({ browser }, info) => {
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await context.setOffline(true);

  // 1. Saving a note: from the app's call to the IndexedDB commit (the app's own measure),
  //    100 notes offline, so each also lands in the outbox.
  await page.getByTestId('visit-item').first().getByRole('link').click();
  const form = page.getByTestId('note-form');
  for (let n = 1; n <= 100; n++) {
    await form.getByTestId('note-met_with').fill('本人');
    await form.getByTestId('note-mental_state').fill('落ち着いて話せた');
    await form.getByTestId('note-next_steps').fill(`計測 ${n}`);
    await form.getByTestId('note-submit').click();
    await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', String(n));
  }
  const saves: number[] = await page.evaluate(() =>
    performance.getEntriesByName('dekapan-save').map((e) => e.duration),
  );

  // 2. Opening the app offline: from the start of the navigation to the visit list on screen,
  //    through the lock screen (the passphrase typed at once), and the unlock alone (key
  //    derivation, unwrapping, decrypting the records).
  const opens: number[] = [];
  const unlocks: number[] = [];
  for (let n = 0; n < 10; n++) {
    await page.goto('/visits');
    await unlock(page);
    await expect(page.getByTestId('visit-list')).toBeVisible();
    const [shown, unlocked] = await page.evaluate(() => [
      performance.getEntriesByName('dekapan-visits-shown')[0]?.startTime ?? NaN,
      performance.getEntriesByName('dekapan-unlock')[0]?.duration ?? NaN,
    ]);
    opens.push(shown);
    unlocks.push(unlocked);
  }
  console.log(`note saved to IndexedDB (outbox commit): median ${median(saves).toFixed(1)} ms over ${saves.length}`);
  console.log(`offline open to visit list visible, through the lock screen: median ${median(opens).toFixed(0)} ms over ${opens.length} (phone viewport)`);
  console.log(`unlock (PBKDF2 600,000 rounds, unwrap, decrypt the records): median ${median(unlocks).toFixed(0)} ms over ${unlocks.length}`);
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0', { timeout: 30_000 });
  await context.close();
});
