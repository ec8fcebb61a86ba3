import { expect, Locator, Page, test } from '@playwright/test';
import { DEMO_PASSWORD, device, login } from '../tests/helpers';

// A person's pace, the same for every build measured: a tap takes 600 ms (find the target,
// reach it, tap), a typed character 120 ms (a practised phone typist), a flick of the page
// 400 ms per screen-height. The person's time is counted, not waited for: the run goes as
// fast as the app allows, and a run's time is the app's measured time plus the person's.
const TAP_MS = 600;
const CHAR_MS = 120;
const FLICK_MS = 400;

/** A person with a phone: counts the taps and the screen-heights scrolled, at a human pace. */
class Person {
  taps = 0;
  scrolled = 0;
  /** The person's own time so far (taps, typing, flicks), in ms; the rest is the app's. */
  paced = 0;

  constructor(private page: Page) {}

  /** Scrolls, as a thumb would, until `target` is whole on the screen under the header. */
  async reach(target: Locator) {
    await target.waitFor();
    const [top, bottom, screen] = await target.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const header = document.querySelector('header.app-header')?.getBoundingClientRect();
      const headerBottom = header ? Math.max(0, header.bottom) : 0;
      return [box.top - headerBottom, box.bottom, window.innerHeight];
    });
    let delta = 0;
    if (top < 0) delta = top - 8;
    else if (bottom > screen) delta = bottom - screen + 8;
    if (delta !== 0) {
      await this.page.evaluate((d) => window.scrollBy(0, d), delta);
      const screens = Math.abs(delta) / screen;
      this.scrolled += screens;
      this.paced += FLICK_MS * Math.max(1, Math.ceil(screens));
    }
  }

  /** Taps `target`, scrolling to it first when it is not on the screen. */
  async tap(target: Locator) {
    await this.reach(target);
    this.paced += TAP_MS;
    await target.click();
    this.taps += 1;
  }

  /** Types `text` into the focused field, a character at a time. */
  async type(text: string) {
    this.paced += CHAR_MS * [...text].length;
    await this.page.keyboard.type(text);
  }

  /** Taps a field unless it already has the focus, then types into it. */
  async fill(field: Locator, text: string) {
    const focused = await field.evaluate((el) => el === document.activeElement).catch(() => false);
    if (!focused) await this.tap(field);
    await this.type(text);
  }
}

test('usability: from opening the app offline to a saved note', async ({ browser }, info) => {
  // The device is set up: one online sign-in, the first sync, the offline shell in place.
  const [context, page] = await device(browser, info);
  await login(page, 'nurse.sato', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await context.setOffline(true);

  type Run = { taps: number; scrolled: number; seconds: number; person: number; app: Record<string, number> };
  const runs: Run[] = [];
  for (let run = 0; run < 3; run++) {
    const person = new Person(page);
    const started = Date.now();
    // The app's own time in each step (the person's is counted apart, not waited for).
    const app: Record<string, number> = {};
    let mark = started;
    const step = (name: string) => {
      const now = Date.now();
      app[name] = now - mark;
      mark = now;
    };
    await page.goto('/visits');
    await page.locator('body[data-hydrated="true"]').waitFor();
    step('open (service worker, hydration)');
    await person.fill(page.getByTestId('unlock-passphrase'), DEMO_PASSWORD);
    await person.tap(page.getByTestId('unlock-submit'));
    await page.getByTestId('visit-item').first().waitFor();
    step('unlock to the list');
    // Today's first visit.
    await person.tap(page.getByTestId('visit-item').first().getByRole('link'));
    await expect(page.getByTestId('visit-detail')).toBeVisible();
    step('the visit');
    const jump = page.getByTestId('write-note');
    if ((await jump.count()) > 0) await person.tap(jump);
    await person.fill(page.getByTestId('note-met_with'), '本人');
    await person.fill(page.getByTestId('note-mental_state'), '落ち着いて話せた');
    await person.fill(page.getByTestId('note-next_steps'), `来週また訪問 ${run}`);
    step('writing the note');
    await person.tap(page.getByTestId('note-submit'));
    await expect(page.getByTestId('note-saved')).toContainText('保存しました');
    step('saving it');
    runs.push({
      taps: person.taps,
      scrolled: person.scrolled,
      seconds: (Date.now() - started + person.paced) / 1000,
      person: person.paced / 1000,
      app,
    });
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[1];
  console.log(
    `offline open to saved note (phone ${info.project.use.viewport?.width}×${info.project.use.viewport?.height}): ` +
      `${median.taps} taps, ${median.scrolled.toFixed(2)} screen-heights scrolled, ${median.seconds.toFixed(1)} s, ` +
      `of which the person ${median.person.toFixed(1)} s ` +
      `(median of ${runs.length}; pace: tap ${TAP_MS} ms, character ${CHAR_MS} ms, flick ${FLICK_MS} ms)`,
  );
  console.log(
    `the app's own time in that run: ` +
      Object.entries(median.app).map(([name, ms]) => `${name} ${ms} ms`).join(', '),
  );
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0', { timeout: 30_000 });
  await context.close();
});
