/**
 * The dashboard's sensor views in a real browser (Debian's Chromium through playwright-core):
 * sensor health cards from the bridge's `/<vehicle>/<sensor>/status`, the selected camera's latest
 * image (a real JPEG from the blob store through `/<vehicle>/<camera>/image_raw/compressed`), and
 * capture markers on the map from `GET /captures`, updating as captures and health change. A live
 * twin on the simulator, the real API over SQLite, the real bridge, free 127.0.0.1 ports.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { dashboardConfig } from '../../dashboard/index.js';
import { liveTwin, type LiveTwin } from '../bridge/bridge-harness.js';
import { sensorRig, type SensorRig } from '../bridge/sensor-harness.js';
import { indexCaptures } from '../../api/capture-indexer.js';
import { startDashboardStack, type DashboardStack } from './dashboard-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard sensors browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const sensor = (key: string) => `.sensor[data-sensor="${key}"]`;

async function logIn(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(base);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#app-view:not([hidden])');
}

describe.skipIf(!haveChromium)('dashboard sensors in Chromium', () => {
  let live: LiveTwin;
  let stack: DashboardStack;
  let rig: SensorRig;
  let browser: Browser;
  /** 64 × 48 JPEGs, a different colour per index. */
  const jpegs: Uint8Array[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 8; i++)
      jpegs.push(new Uint8Array(await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 60) % 256, g: 120, b: 200 } } }).jpeg().toBuffer()));
    live = await liveTwin(['drone1'], 10, 120_000);
    stack = await startDashboardStack(live.twin, (bridgeUrl) => dashboardConfig({ bridgeUrl }), (store) => {
      rig = sensorRig(live.twin, 'drone1', store, (i) => jpegs[i % jpegs.length]!);
      return { directory: rig.directory, indexer: indexCaptures(store, live.twin.bus, live.twin, rig.directory.list(), { run: 'live' }) };
    });
    // Two images before anyone looks: the page must show them at once.
    await rig.capture();
    await rig.capture();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await live?.halt();
  });

  it('health cards, the latest image of the selected camera, capture markers on the map; all update live', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await logIn(page, stack.url, 'vic', 'viewer-pass');

    // Cards for both sensors, found through the bridge's topic list, with their latched health.
    await page.waitForSelector(`${sensor('drone1/cam')}[data-health="ok"]`, { timeout: 15_000 });
    await page.waitForSelector(`${sensor('drone1/ouster')}[data-kind="lidar"]`);
    expect(await page.textContent(`${sensor('drone1/cam')} [data-field="state"]`)).toBe('ready');
    expect(await page.getAttribute(sensor('drone1/cam'), 'class')).toContain('selected');

    // The camera's latest image (the second capture), decoded by the browser.
    await page.waitForSelector('#camera-view:not([hidden])');
    await expect.poll(() => page.$eval('#camera-image', (img) => (img as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBe(64);
    const src = await page.getAttribute('#camera-image', 'src');
    expect(src).toBe(`data:image/jpeg;base64,${Buffer.from(jpegs[1]!).toString('base64')}`);

    // Markers from GET /captures, placed once the page knows the map frame's origin.
    await page.waitForSelector(`${sensor('drone1/cam')}[data-captures="2"]`, { timeout: 10_000 });
    await page.waitForSelector('#map[data-captures="2"]', { timeout: 20_000 });

    // A new capture: a third marker and the new image; a failed camera turns its card red.
    const mapBefore = await page.locator('#map').screenshot();
    await rig.capture();
    await page.waitForSelector('#map[data-captures="3"]', { timeout: 10_000 });
    await expect.poll(() => page.getAttribute('#camera-image', 'src'), { timeout: 10_000 }).toBe(`data:image/jpeg;base64,${Buffer.from(jpegs[2]!).toString('base64')}`);
    expect((await page.locator('#map').screenshot()).equals(mapBefore)).toBe(false);
    rig.health({ sensor: 'cam', state: 'failed', message: 'SENSOR.FAILED: camera stopped answering', lost: 1, count: 3, machine_state: 'error' });
    await page.waitForSelector(`${sensor('drone1/cam')}[data-health="failed"]`, { timeout: 10_000 });
    expect(await page.textContent(`${sensor('drone1/cam')} [data-field="message"]`)).toBe('SENSOR.FAILED: camera stopped answering');
    expect(await page.textContent(`${sensor('drone1/cam')} [data-field="count"]`)).toBe('3 · 1 lost');
    expect(await page.textContent(`${sensor('drone1/cam')} [data-field="health"]`)).toBe('failed');

    mkdirSync('out', { recursive: true });
    await page.screenshot({ path: 'out/dashboard-sensors.png' });
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
