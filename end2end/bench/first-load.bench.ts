import { test } from '@playwright/test';
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
 *  and the bytes the WASM took on the wire. */
type Load = { paint: number; interactive: number; wasmBytes: number; wasmEncoding: string };

test('first load on a cheap phone: paint, interactive, bytes', async ({ browser }, info) => {
  test.setTimeout(300_000);
  const [context, page] = await device(browser, info);
  // The moment the app marks the page hydrated, seen from inside the page.
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

  const load = async (): Promise<Load> => {
    await page.goto('/login');
    await page.waitForFunction(() => (window as unknown as { __interactive?: number }).__interactive != null, null, {
      timeout: 120_000,
    });
    return page.evaluate(() => {
      const wasm = performance
        .getEntriesByType('resource')
        .find((e) => e.name.endsWith('.wasm')) as PerformanceResourceTiming | undefined;
      const paint = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
      const bytes = wasm?.transferSize ?? NaN;
      const decoded = wasm?.decodedBodySize ?? NaN;
      const encoded = wasm?.encodedBodySize ?? NaN;
      return {
        paint,
        interactive: (window as unknown as { __interactive: number }).__interactive,
        wasmBytes: bytes,
        wasmEncoding: encoded < decoded ? `compressed ${((100 * encoded) / decoded).toFixed(0)} %` : 'not compressed',
      };
    });
  };

  // The first visit downloads everything; the service worker then keeps the shell.
  const first = await load();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 120_000 });
  const again: Load[] = [];
  for (let n = 0; n < 5; n++) again.push(await load());

  console.log(
    `first visit, cheap phone (CPU ×${CPU_SLOWDOWN} slower, 150 ms RTT, 1.6 Mbit/s): ` +
      `first paint ${first.paint.toFixed(0)} ms, interactive ${first.interactive.toFixed(0)} ms, ` +
      `WASM ${first.wasmBytes} bytes on the wire (${first.wasmEncoding})`,
  );
  console.log(
    `return visits (service worker), same phone: first paint median ${median(again.map((l) => l.paint)).toFixed(0)} ms, ` +
      `interactive median ${median(again.map((l) => l.interactive)).toFixed(0)} ms over ${again.length}`,
  );
  await context.close();
});
