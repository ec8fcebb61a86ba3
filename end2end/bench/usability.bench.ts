import { Browser, expect, Locator, Page, test, TestInfo } from '@playwright/test';
import { DEMO_PASSWORD, device, login } from '../tests/helpers';

// A person's pace, the same for every build measured: a tap takes 600 ms (find the target,
// reach it, tap), a typed character 120 ms (a practised phone typist), a flick of the page
// 400 ms per screen-height. The person's time is counted, not waited for: the run goes as
// fast as the app allows, and a run's time is the person's plus the time the person waits for
// the app.
const TAP_MS = 600;
const CHAR_MS = 120;
const FLICK_MS = 400;

/**
 * Measures in the page, by the page's clock, how long the person waits for the app: the time of
 * the person's last tap or key, and every input the screen took longer than a frame to answer.
 * The harness's own round trips (each click and each typed character is a message to the
 * browser) are then no part of the app's time.
 */
function watchInputs() {
  const ux = { last: 0, slow: [] as { name: string; start: number; duration: number }[] };
  (window as unknown as { __ux: typeof ux }).__ux = ux;
  for (const type of ['pointerdown', 'keydown']) {
    addEventListener(type, (event) => (ux.last = event.timeStamp), { capture: true });
  }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      ux.slow.push({ name: entry.name, start: entry.startTime, duration: entry.duration });
    }
  }).observe({ type: 'event', durationThreshold: 16, buffered: true } as PerformanceObserverInit);
}

/** A person with a phone: counts the taps and the screen-heights scrolled, at a human pace. */
class Person {
  taps = 0;
  scrolled = 0;
  /** The person's own time so far (taps, typing, flicks), in ms; the rest is the app's. */
  paced = 0;

  constructor(private page: Page) {}

  /**
   * Waits for the screen that answers the person's last tap: `testid` shown (holding `text`),
   * painted. Returns how long after the tap it was, by the page's clock (after the start of
   * the navigation, before the page's first tap).
   */
  async answer(testid: string, text = ''): Promise<number> {
    return this.page.evaluate(
      ([id, text]) =>
        new Promise<number>((resolve) => {
          const ux = (window as unknown as { __ux: { last: number } }).__ux;
          const check = () => {
            const el = document.querySelector(`[data-testid="${id}"]`);
            if (el && el.getClientRects().length > 0 && (el.textContent ?? '').includes(text)) {
              resolve(performance.now() - ux.last);
            } else {
              requestAnimationFrame(check);
            }
          };
          check();
        }),
      [testid, text],
    );
  }

  /**
   * The person's wait while typing since `since` (page clock): each key or tap the screen took
   * longer to answer than the person takes to reach the next one.
   */
  async waitedWhileTyping(since: number): Promise<number> {
    const slow = await this.page.evaluate(
      () => (window as unknown as { __ux: { slow: { name: string; start: number; duration: number }[] } }).__ux.slow,
    );
    return slow
      .filter((e) => e.start >= since && ['keydown', 'pointerdown'].includes(e.name))
      .reduce((sum, e) => sum + Math.max(0, e.duration - (e.name === 'keydown' ? CHAR_MS : TAP_MS)), 0);
  }

  /** The page's clock now. */
  async now(): Promise<number> {
    return this.page.evaluate(() => performance.now());
  }

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

/**
 * From opening the app offline (the device set up) to a saved note, three runs; prints the
 * median. `slowdown` slows the page's CPU that many times (1: this machine as it is).
 */
async function offlineToSavedNote(browser: Browser, info: TestInfo, slowdown: number) {
  // The device is set up: one online sign-in, the first sync, the offline shell in place.
  const [context, page] = await device(browser, info);
  await context.addInitScript(watchInputs);
  await login(page, 'nurse.sato', /\/visits$/);
  await expect(page.getByTestId('visit-list')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await context.setOffline(true);
  if (slowdown > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
  }

  type Run = {
    taps: number;
    scrolled: number;
    seconds: number;
    person: number;
    wallClock: number;
    app: Record<string, number>;
  };
  const runs: Run[] = [];
  for (let run = 0; run < 3; run++) {
    const person = new Person(page);
    const started = Date.now();
    // The person's wait in each step, by the page's clock.
    const app: Record<string, number> = {};
    await page.goto('/visits');
    // No input yet on this page, so measured from the navigation's start: the lock screen is
    // drawn by the hydrated app once the device has opened.
    app['open (service worker, hydration, lock screen)'] = await person.answer('unlock-passphrase');
    await person.fill(page.getByTestId('unlock-passphrase'), DEMO_PASSWORD);
    await person.tap(page.getByTestId('unlock-submit'));
    app['unlock to the list'] = await person.answer('visit-item');
    // Today's first visit.
    await person.tap(page.getByTestId('visit-item').first().getByRole('link'));
    app['the visit'] = await person.answer('visit-detail');
    const typing = await person.now();
    const jump = page.getByTestId('write-note');
    if ((await jump.count()) > 0) await person.tap(jump);
    await person.fill(page.getByTestId('note-met_with'), '本人');
    await person.fill(page.getByTestId('note-mental_state'), '落ち着いて話せた');
    await person.fill(page.getByTestId('note-next_steps'), `来週また訪問 ${run}`);
    app['writing the note (each keystroke keeps a draft)'] = await person.waitedWhileTyping(typing);
    await person.tap(page.getByTestId('note-submit'));
    app['saving it'] = await person.answer('note-saved', '保存しました');
    const waited = Object.values(app).reduce((a, b) => a + b, 0);
    runs.push({
      taps: person.taps,
      scrolled: person.scrolled,
      seconds: (person.paced + waited) / 1000,
      person: person.paced / 1000,
      wallClock: (Date.now() - started + person.paced) / 1000,
      app,
    });
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[1];
  const cpu = slowdown > 1 ? `, CPU ${slowdown}× slower` : '';
  console.log(
    `offline open to saved note (phone ${info.project.use.viewport?.width}×${info.project.use.viewport?.height}${cpu}): ` +
      `${median.taps} taps, ${median.scrolled.toFixed(2)} screen-heights scrolled, ${median.seconds.toFixed(1)} s, ` +
      `of which the person ${median.person.toFixed(1)} s ` +
      `(median of ${runs.length}; pace: tap ${TAP_MS} ms, character ${CHAR_MS} ms, flick ${FLICK_MS} ms)`,
  );
  console.log(
    `the person's wait for the app in that run: ` +
      Object.entries(median.app).map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join(', '),
  );
  console.log(
    `the same run by the harness's wall clock (its round trips to the browser counted as the app's): ` +
      `${median.wallClock.toFixed(1)} s`,
  );
  await context.setOffline(false);
  await expect(page.getByTestId('unsynced-count')).toHaveAttribute('data-count', '0', { timeout: 30_000 });
  await context.close();
}

test('usability: from opening the app offline to a saved note', async ({ browser }, info) => {
  await offlineToSavedNote(browser, info, 1);
});

// The same on a cheaper phone: the page's CPU 4× slower, as in the first-load benchmark (the
// service worker's own work is not slowed).
test('usability on a phone with a CPU 4× slower', async ({ browser }, info) => {
  await offlineToSavedNote(browser, info, 4);
});
