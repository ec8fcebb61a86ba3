import { Browser, BrowserContext, Page, test, TestInfo } from '@playwright/test';
import { device } from '../tests/helpers';

/** The median of some numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// A cheap phone on a mobile network, as Lighthouse's mobile profile has it: the CPU four
// times slower than this machine's, 150 ms round trips, 1.6 Mbit/s down, 750 kbit/s up.
const CPU_SLOWDOWN = 4;
const NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};

/** When (ms since navigation start) the page painted first and the app became interactive,
 *  and the bytes the WebAssembly took on the wire (every piece loaded by then). */
type Load = { paint: number; interactive: number; wasmBytes: number; wasmFiles: number };

/** A new device (browser context) with the cheap phone's CPU and network, which marks the
 *  moment the app has hydrated. */
async function cheapPhone(browser: Browser, info: TestInfo): Promise<[BrowserContext, Page]> {
  const [context, page] = await device(browser, info);
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === 'true') {
        (window as unknown as { __interactive: number }).__interactive = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', NETWORK);
  return [context, page];
}

async function load(page: Page): Promise<Load> {
  await page.goto('/login');
  await page.waitForFunction(() => (window as unknown as { __interactive?: number }).__interactive != null, null, {
    timeout: 120_000,
  });
  return page.evaluate(() => {
    const wasm = performance
      .getEntriesByType('resource')
      .filter((e) => e.name.endsWith('.wasm')) as PerformanceResourceTiming[];
    return {
      paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      interactive: (window as unknown as { __interactive: number }).__interactive,
      wasmBytes: wasm.reduce((sum, e) => sum + e.transferSize, 0),
      wasmFiles: wasm.length,
    };
  });
}

test('first load on a cheap phone: paint, interactive, bytes', async ({ browser }, info) => {
  test.setTimeout(600_000);
  // Each first visit on a device of its own, nothing cached.
  const first: Load[] = [];
  let page: Page | undefined;
  for (let n = 0; n < 5; n++) {
    if (page) await page.context().close();
    [, page] = await cheapPhone(browser, info);
    first.push(await load(page));
  }
  // The last device again: the service worker now holds the app. (Its own fetches are not
  // slowed by the page's network emulation, so these are the CPU's part only.)
  page = page!;
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 120_000 });
  const again: Load[] = [];
  for (let n = 0; n < 5; n++) again.push(await load(page));

  const wire = first.map((l) => `${l.wasmBytes} B in ${l.wasmFiles}`);
  console.log(
    `first visit, cheap phone (CPU ×${CPU_SLOWDOWN} slower, 150 ms RTT, 1.6 Mbit/s), median of ${first.length}: ` +
      `first paint ${median(first.map((l) => l.paint)).toFixed(0)} ms, ` +
      `interactive ${median(first.map((l) => l.interactive)).toFixed(0)} ms ` +
      `(each: ${first.map((l) => l.interactive.toFixed(0)).join(', ')} ms); WebAssembly on the wire: ${wire[0]} file(s)`,
  );
  console.log(
    `return visits (service worker), same phone: first paint median ${median(again.map((l) => l.paint)).toFixed(0)} ms, ` +
      `interactive median ${median(again.map((l) => l.interactive)).toFixed(0)} ms over ${again.length}`,
  );
});
