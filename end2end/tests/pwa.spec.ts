import { expect, test } from '@playwright/test';
import { expectAccessible, open, ready } from './helpers';

test('the app is installable: a valid manifest with its icons, and a service worker in control', async ({ page, request }) => {
  await open(page, '/login');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBe('/manifest.webmanifest');
  const manifest = await (await request.get(href!)).json();
  expect(manifest).toMatchObject({
    short_name: 'Dekapan',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    theme_color: '#1f5f8b',
  });
  expect(manifest.name).toContain('Dekapan');
  const purposes = manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
  expect(purposes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
  for (const icon of manifest.icons) {
    // Each icon loads and is a PNG of the declared size.
    const size = await page.evaluate(async (src) => {
      const bitmap = await createImageBitmap(await (await fetch(src)).blob());
      return `${bitmap.width}x${bitmap.height}`;
    }, icon.src);
    expect(size).toBe(icon.sizes);
  }

  // The worker installs, takes control, and keeps only static files: never API answers.
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  const cached: string[] = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const key of await caches.keys()) {
      for (const req of await (await caches.open(key)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  expect(cached).toEqual(expect.arrayContaining(['/shell', '/pkg/dekapan.wasm', '/pkg/dekapan.js', '/pkg/dekapan.css']));
  expect(cached.filter((u) => u.startsWith('/api/') || u.startsWith('/sync/'))).toEqual([]);
});

test('offline, the login page still opens from the service worker, in order for people', async ({ page, context }) => {
  await open(page, '/login');
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await context.setOffline(true);
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('login-form')).toBeVisible();
  await expectAccessible(page);
  await context.setOffline(false);
});

test('the app downloads compressed: brotli where accepted, gzip otherwise, the same files either way', async ({ request }) => {
  const sizes: Record<string, number> = {};
  let plain: Buffer | undefined;
  for (const encoding of ['identity', 'gzip', 'br']) {
    const response = await request.get('/pkg/dekapan.wasm', { headers: { 'accept-encoding': encoding } });
    expect(response.status()).toBe(200);
    expect(response.headers()['content-encoding'] ?? 'identity').toBe(encoding);
    // A cache between keeps the encodings apart.
    expect(response.headers()['vary']?.toLowerCase()).toContain('accept-encoding');
    sizes[encoding] = Number(response.headers()['content-length']);
    const body = await response.body();
    // Whatever the encoding, the browser gets the one WASM of this build.
    expect(body.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    if (plain === undefined) plain = body;
    else expect(body.equals(plain)).toBe(true);
  }
  expect(sizes.gzip).toBeLessThan(sizes.identity / 2);
  expect(sizes.br).toBeLessThan(sizes.gzip);
  for (const file of ['/pkg/dekapan.js', '/pkg/dekapan.css']) {
    const response = await request.get(file, { headers: { 'accept-encoding': 'br' } });
    expect(response.headers()['content-encoding']).toBe('br');
  }
});
