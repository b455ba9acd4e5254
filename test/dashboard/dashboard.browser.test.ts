/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a live
 * twin on the simulator, the real rosbridge server, and the page host: log in, watch vehicles
 * move, start a mission with a click, see its progress; a viewer gets no command buttons.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { planFromMission, dashboardConfig, type DashboardConfig } from '../../dashboard/index.js';
import { liveTwin, type LiveTwin } from '../bridge/bridge-harness.js';
import { boxMission, startDashboardStack, type DashboardStack } from './dashboard-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const card = (v: string) => `.card[data-vehicle="${v}"]`;

async function position(page: Page, v: string): Promise<{ east: number; north: number }> {
  const el = page.locator(card(v));
  return { east: Number(await el.getAttribute('data-east')), north: Number(await el.getAttribute('data-north')) };
}

async function logIn(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(base);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#app-view:not([hidden])');
}

describe.skipIf(!haveChromium)('dashboard in Chromium', () => {
  let live: LiveTwin;
  let stack: DashboardStack;
  let browser: Browser;

  beforeAll(async () => {
    live = await liveTwin(['drone1', 'drone2'], 10, 120_000);
    const m1 = boxMission(live.frame, 'drone1', 10, -100, 80);
    live.twin.mission('drone1').load(m1);
    const config = (bridgeUrl: string): DashboardConfig =>
      dashboardConfig({
        bridgeUrl,
        geofenceLocal: [
          { north_m: -20, east_m: -120 },
          { north_m: 110, east_m: -120 },
          { north_m: 110, east_m: 90 },
          { north_m: -20, east_m: 90 },
        ],
        // drone1's plan comes from here; drone2's from the API's stored mission (below).
        plans: { drone1: planFromMission(m1, live.frame, { north_m: 0, east_m: 0 }) },
      });
    stack = await startDashboardStack(live.twin, config);
    // drone2's mission goes through the REST API, as an operator's would: stored, then loaded.
    // Its corners are WGS84 but one, so the page has to place both kinds on its map.
    const login = await stack.auth.login('olga', 'operator-pass');
    if (!login.ok) throw new Error('operator login failed');
    const api = (path: string, body: unknown) =>
      fetch(stack.url + path, { method: 'POST', headers: { authorization: `Bearer ${login.value.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const geo = (north_m: number, east_m: number) => {
      const p = live.frame.toGeo({ north_m, east_m, down_m: -20 });
      return { lat: p.lat_deg, lon: p.lon_deg, alt: 20 };
    };
    const created = await api('/missions', {
      id: 'm-drone2',
      name: 'box drone2',
      waypoints: [geo(70, 20), geo(70, 80), { north: 10, east: 80, alt: 20 }, geo(10, 20)],
      parameters: { takeoff_alt: 20 },
    });
    expect(created.status).toBe(201);
    expect((await api('/missions/m-drone2/load', { vehicle: 'drone2' })).status).toBe(202);
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

  it('refuses a wrong password with a message', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    await page.fill('#login-user', 'olga');
    await page.fill('#login-password', 'nope');
    await page.click('#login-submit');
    await expect.poll(() => page.textContent('#login-error')).toContain('login refused');
    expect(await page.isHidden('#app-view')).toBe(true);
    await page.close();
  });

  it('a token the bridge refuses (forged here) sends the user back to the login form', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory', role: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 })}.${b64('sig')}`;
    await page.evaluate((t) => sessionStorage.setItem('overwatch.session', t), forged);
    await page.reload();
    await page.waitForSelector('#login-view:not([hidden])', { timeout: 10_000 });
    // The page asks for the full config.json with its token first: the API refuses it there.
    expect(await page.textContent('#login-error')).toMatch(/the (server|bridge) refused the session/);
    expect(await page.evaluate(() => sessionStorage.getItem('overwatch.session'))).toBeNull();
    await page.close();
  });

  it('an operator sees the fleet move, starts a mission with a click and watches its progress', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await logIn(page, stack.url, 'olga', 'operator-pass');
    expect(await page.textContent('#who')).toContain('operator');
    await page.waitForSelector('#bridge-status[data-state="connected"]');
    // Both vehicles are found through the bridge's topic list, with live positions.
    await page.waitForSelector(`${card('drone1')}[data-east]`);
    await page.waitForSelector(`${card('drone2')}[data-east]`);
    // drone2's plan comes from GET /missions/m-drone2, placed once the page knows the origin.
    await page.waitForSelector(`${card('drone2')}[data-plan-points="4"]`, { timeout: 10_000 });
    // drone1's plan and the fence come from config.json, read with the session's token; without
    // one the page (or anyone) learns only where the bridge is.
    expect(await page.getAttribute(card('drone1'), 'data-plan-points')).toBe('6');
    const anonymous = await page.evaluate(async () => (await fetch('config.json')).json());
    expect(anonymous).toEqual({ bridgeUrl: stack.bridgeUrl });
    // drone2 is sent off from the server side, so something moves before anyone clicks.
    live.twin.mission('drone2').start();
    const mapBefore = await page.locator('#map').screenshot();
    const before = await position(page, 'drone2');
    await expect
      .poll(async () => {
        const now = await position(page, 'drone2');
        return Math.hypot(now.east - before.east, now.north - before.north);
      }, { timeout: 15_000 })
      .toBeGreaterThan(2);
    expect((await page.locator('#map').screenshot()).equals(mapBefore)).toBe(false);

    // drone1 waits LOADED; its Start button starts it.
    await page.waitForSelector(`${card('drone1')}[data-mission-status="LOADED"]`);
    const start = page.locator(`${card('drone1')} button[data-cmd="start"]`);
    await expect.poll(() => start.isEnabled()).toBe(true);
    expect(await page.getAttribute(`${card('drone1')} .progress`, 'aria-valuenow')).toBe('0');
    await start.click();
    await page.waitForSelector(`${card('drone1')}[data-mission-status="RUNNING"]`, { timeout: 10_000 });
    await expect
      .poll(async () => Number(await page.getAttribute(`${card('drone1')} .progress`, 'aria-valuenow')), { timeout: 30_000 })
      .toBeGreaterThan(0);
    const bar = await page.$eval(`${card('drone1')} .bar`, (el) => (el as HTMLElement).style.width);
    expect(parseFloat(bar)).toBeGreaterThan(0);
    // The answer to the click shows in the alerts list; pause is now possible, start is not.
    await expect.poll(() => page.textContent('#alerts')).toContain('Start:');
    expect(await start.isDisabled()).toBe(true);
    expect(await page.isEnabled(`${card('drone1')} button[data-cmd="pause"]`)).toBe(true);
    expect(await page.textContent(`${card('drone1')} [data-field="link"]`)).toBe('link ok');

    // Pause and resume from the card.
    await page.click(`${card('drone1')} button[data-cmd="pause"]`);
    await page.waitForSelector(`${card('drone1')}[data-mission-status="PAUSED"]`, { timeout: 10_000 });
    await page.click(`${card('drone1')} button[data-cmd="resume"]`);
    await page.waitForSelector(`${card('drone1')}[data-mission-status="RUNNING"]`, { timeout: 10_000 });
    expect(await page.textContent('#alerts')).toContain('Pause:');

    mkdirSync('out', { recursive: true });
    await page.screenshot({ path: 'out/dashboard.png' });
    expect(errors).toEqual([]);
    await page.click('#logout');
    await page.waitForSelector('#login-view:not([hidden])');
    await page.close();
  }, 90_000);

  it('a viewer sees the same fleet but no command buttons', async () => {
    const page = await browser.newPage();
    await logIn(page, stack.url, 'vic', 'viewer-pass');
    expect(await page.textContent('#who')).toContain('viewer');
    await page.waitForSelector(`${card('drone1')}[data-east]`);
    await page.waitForSelector(`${card('drone2')} [data-field="mission"]:has-text("box drone2")`);
    expect(await page.locator('button[data-cmd]').count()).toBe(0);
    // No buttons is a courtesy: the bridge itself refuses a viewer's command.
    const answer = await page.evaluate(async (url) => {
      const token = sessionStorage.getItem('overwatch.session');
      const ws = new WebSocket(url);
      return await new Promise<unknown>((resolve) => {
        ws.onopen = () => {
          ws.send(JSON.stringify({ op: 'auth', token }));
          ws.send(JSON.stringify({ op: 'call_service', id: 'x', service: '/mission/abort', args: { vehicle: 'drone2' } }));
        };
        ws.onmessage = (ev) => {
          const m = JSON.parse(String(ev.data));
          if (m.op === 'service_response') (ws.close(), resolve(m));
        };
      });
    }, stack.bridgeUrl);
    expect(answer).toMatchObject({ result: false });
    expect(live.twin.missionStatus('drone2')).not.toBe('ABORTED');

    // A datalink loss shows on the card and in the alerts, and so does its end.
    expect(live.world.injectFault('drone2', { kind: 'link_loss', duration_s: 30 }).ok).toBe(true);
    await page.waitForSelector(`${card('drone2')} [data-field="link"].lost:has-text("LINK LOST")`, { timeout: 10_000 });
    await expect.poll(() => page.textContent('#alerts')).toContain('drone2: link lost');
    await page.waitForSelector(`${card('drone2')} [data-field="link"]:not(.lost)`, { timeout: 20_000 });
    await expect.poll(() => page.textContent('#alerts')).toContain('drone2: link regained');
    await page.close();
  }, 40_000);

  it('rides out a bridge restart: shows it, reconnects, resubscribes and catches up', async () => {
    const page = await browser.newPage();
    await logIn(page, stack.url, 'vic', 'viewer-pass');
    await page.waitForSelector(`${card('drone2')}[data-east]`);
    // While the bridge is down drone1 loses its link: the new connection must bring that state.
    await stack.restartBridge(async () => {
      await page.waitForSelector('#bridge-status[data-state="disconnected"]', { timeout: 10_000 });
      expect(await page.getAttribute(card('drone1'), 'class')).toContain('stale');
      expect(live.world.injectFault('drone1', { kind: 'link_loss' }).ok).toBe(true);
    });
    await page.waitForSelector('#bridge-status[data-state="connected"]', { timeout: 15_000 });
    expect(await page.getAttribute(card('drone1'), 'class')).not.toContain('stale');
    await page.waitForSelector(`${card('drone1')} [data-field="link"].lost`, { timeout: 10_000 });
    expect(live.world.injectFault('drone1', { kind: 'link_restore' }).ok).toBe(true);
    await page.waitForSelector(`${card('drone1')} [data-field="link"]:not(.lost)`, { timeout: 10_000 });
    await page.close();
  }, 45_000);
});
