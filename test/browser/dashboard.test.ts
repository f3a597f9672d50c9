// The dashboard in real headless Chromium (Debian's `chromium`, driven by playwright-core)
// against a real system on a real nats-server: two nodes, a supervised crasher, an audit
// ledger on JetStream, a mesh bridge paired with a second site, and the dashboard served by
// the `troupe dashboard` CLI in its own process.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeysFromSeeds, startAuditLedger } from '../../actors/ledger/index.ts';
import type { ActorSystem } from '../../index.ts';
import { encodeBody } from '../../protocols/envelope/index.ts';
import { Crew } from '../support/fleet-actors.ts';
import { Emitter } from '../support/ledger-run.ts';
import { pairSites, startSite, type TestSite } from '../support/mesh-sites.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { spawnTs, stopChild } from '../support/processes.ts';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');

let server: NatsServer;
let hq: TestSite;
let lab: TestSite;
let n1: ActorSystem;
let n2: ActorSystem;
let ledgerClose: (() => Promise<void>) | null = null;
let board: Awaited<ReturnType<typeof spawnTs>> | null = null;
let url = '';
let browser: Browser;
const tmp = mkdtempSync(join(tmpdir(), 'troupe-dashboard-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_BIN)`);
  server = await startNatsServer();
  hq = await startSite('hq', { server });
  lab = await startSite('lab', { server });
  await pairSites(hq, lab);
  n1 = await hq.node('n1');
  n2 = await hq.node('n2');
  n1.spawn(Crew, { name: 'crew' });
  const ledger = await startAuditLedger(n2, {
    dir: join(tmp, 'ledger'),
    origin: 'hq.example/ledger',
    keys: ledgerKeysFromSeeds(
      'hq.example/ledger',
      new Uint8Array(32).fill(7),
      new Uint8Array(32).fill(8),
    ),
  });
  ledgerClose = () => ledger.close();
  const auditor = n2.spawn(Emitter, { name: 'auditor' });
  n2.tell(auditor, 'emit', { n: 20 });
  await n1.allStarted();
  board = await spawnTs(
    'bin/troupe.js',
    ['dashboard', '--nats', server.url, '--system', 'hq', '--port', '0'],
    {
      env: {
        TROUPE_NATS_USER: server.user,
        TROUPE_NATS_PASS: server.pass,
        TROUPE_LOG_LEVEL: 'silent',
      },
      ready: /dashboard for system hq: http:\/\/127\.0\.0\.1:\d+\//,
      readyTimeoutMs: 30_000,
    },
  );
  url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(board.output())![1]!;
  await ledger.settle({ checkpoint: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (board) await stopChild(board);
  await ledgerClose?.();
  await lab?.close();
  await hq?.close();
  await stopAllNatsServers();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

/** The one browser global the element callbacks use (no DOM library in this project). */
type Win = { getComputedStyle(e: unknown): { color: string } };

const rowOf = (page: Page, path: string, node: string) =>
  page.locator(`#tree tbody tr[data-path="${path}"][data-node="${node}"]`);

describe('dashboard in headless Chromium', () => {
  it('shows the running actors of every node; a crash turns the actor red and counts the restart within 2 s', async () => {
    const page = await browser.newPage({
      bypassCSP: true,
      viewport: { width: 1400, height: 1100 },
    });
    await page.goto(url);
    await expect.poll(() => page.locator('#conn').textContent(), { timeout: 15_000 }).toBe('live');
    for (const [path, node] of [
      ['crew', 'hq-n1'],
      ['crew/ticker', 'hq-n1'],
      ['crew/crasher', 'hq-n1'],
      ['auditor', 'hq-n2'],
      ['ledger', 'hq-n2'],
      ['mesh-bridge', 'hq-bridge'],
    ] as const) {
      await rowOf(page, path, node).waitFor({ timeout: 15_000 });
    }
    // The CLI's own client node is not part of the fleet.
    expect(await page.locator('#tree tbody tr[data-node^="cli-"]').count()).toBe(0);
    const crasher = rowOf(page, 'crew/crasher', 'hq-n1');
    expect(await crasher.getAttribute('data-health')).toBe('ok');
    const before = Number(await crasher.locator('td.restarts').textContent());

    const sent = Date.now();
    n1.tell(n1.lookup('crew/crasher')!, 'crash', { why: 'disk on fire' });
    // The page must show it within 2 s of the crash: the wait below fails the test otherwise.
    // (Page-side code is a string: this project compiles without the DOM library.)
    await page.waitForFunction(
      `(() => {
        const tr = document.querySelector('#tree tbody tr[data-path="crew/crasher"]');
        return tr !== null && tr.getAttribute('data-health') === 'failed' &&
          Number(tr.querySelector('td.restarts').textContent) === ${before + 1};
      })()`,
      undefined,
      { timeout: 2000, polling: 50 },
    );
    const shownAfterMs = Date.now() - sent;
    // Its node turns red with it; the other nodes stay green.
    expect(await page.locator('#nodes span[data-node="hq-n1"]').getAttribute('data-health')).toBe(
      'failed',
    );
    expect(await page.locator('#nodes span[data-node="hq-n2"]').getAttribute('data-health')).toBe(
      'ok',
    );
    expect(shownAfterMs).toBeLessThan(2000);
    expect(await crasher.locator('td.failure').textContent()).toContain('disk on fire');
    const colourOf = (path: string) =>
      rowOf(page, path, 'hq-n1')
        .locator('td.status')
        .evaluate((e) => (globalThis as unknown as Win).getComputedStyle(e).color);
    const colour = await colourOf('crew/crasher');
    expect(colour).toBe('rgb(217, 48, 37)'); // --failed
    const healthy = await colourOf('crew/ticker');
    expect(healthy).not.toBe(colour);
    await page.close();
  }, 120_000);

  it('draws the message-rate and restart-rate plots, the ledger head, mesh peers and alerts', async () => {
    const page = await browser.newPage({
      bypassCSP: true,
      viewport: { width: 1400, height: 1250 },
    });
    await page.goto(url);
    // The alerts actor publishes on troupe.<sys>.evt.<node>.alert (the agreed body).
    const nc = n1.nats!;
    nc.publish(
      'troupe.hq.evt.hq-n1.alert',
      encodeBody({
        rule: 'crash',
        severity: 'error',
        actor: 'crew/crasher',
        message: 'crew/crasher crashed: disk on fire',
        at: Date.now(),
      }),
    );
    n1.tell(n1.lookup('crew/crasher')!, 'crash', { why: 'second fire' });
    await page.waitForFunction(
      `Number(document.querySelector('#rate-plot').getAttribute('data-points')) >= 5`,
      undefined,
      { timeout: 20_000 },
    );
    // Pixels of the series colour on each canvas: the lines were drawn, not just the axes.
    const inked = (id: string, [r, g, b]: [number, number, number]): Promise<number> =>
      page.evaluate(`(() => {
        const c = document.getElementById('${id}');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
          if (Math.abs(d[i] - ${r}) < 40 && Math.abs(d[i + 1] - ${g}) < 40 &&
              Math.abs(d[i + 2] - ${b}) < 40 && d[i + 3] > 100) n++;
        return n;
      })()`);
    expect(await inked('rate-plot', [0x4a, 0x90, 0xd9])).toBeGreaterThan(50);
    await expect
      .poll(() => inked('restart-plot', [0xd9, 0x30, 0x25]), { timeout: 10_000 })
      .toBeGreaterThan(50);
    // The ticker's messages show as a rate, the crash as a restart in the last minutes.
    await expect
      .poll(
        async () =>
          Number(await rowOf(page, 'crew/ticker', 'hq-n1').locator('td.rate').textContent()),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#ledgers').textContent(), { timeout: 15_000 })
      .toContain('hq.example/ledger');
    const ledgerText = (await page.locator('#ledgers').textContent()) ?? '';
    expect(ledgerText).toMatch(/verificationok/);
    expect(ledgerText).toMatch(/head size[1-9]/);
    await expect
      .poll(() => page.locator('#peers').textContent(), { timeout: 15_000 })
      .toContain('lab');
    expect(await page.locator('#peers').textContent()).toContain('link up');
    await expect
      .poll(() => page.locator('#alerts').textContent(), { timeout: 10_000 })
      .toContain('disk on fire');
    expect(await page.locator('#alerts li.sev-error').count()).toBeGreaterThan(0);
    expect(await page.locator('#mailboxes li').count()).toBeGreaterThan(0);
    const shot = join(tmp, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    // `TROUPE_UPDATE_SCREENSHOT=1 npx vitest run test/browser` refreshes the README's picture.
    if (process.env.TROUPE_UPDATE_SCREENSHOT === '1')
      copyFileSync(shot, join(ROOT, 'docs/dashboard.png'));
    await page.close();
  }, 120_000);

  it('refuses a page without the token when one is set, and a foreign Host on loopback', async () => {
    const { startDashboard } = await import('../../dashboard/index.ts');
    const d = await startDashboard(n1, { port: 0, token: 'a-token-of-twenty-chars' });
    try {
      const base = `http://127.0.0.1:${d.port}`;
      expect((await fetch(`${base}/`)).status).toBe(401);
      expect((await fetch(`${base}/api/stream?token=wrong-token-of-20-chars`)).status).toBe(401);
      const ok = await fetch(`${base}/api/state`, {
        headers: { authorization: 'Bearer a-token-of-twenty-chars' },
      });
      expect(ok.status).toBe(200);
      const state = (await ok.json()) as { system: string; actors: { path: string }[] };
      expect(state.system).toBe('hq');
      expect(d.url).toBe(`http://127.0.0.1:${d.port}/?token=a-token-of-twenty-chars`);
      const page = await browser.newPage({ bypassCSP: true });
      await page.goto(d.url);
      await rowOf(page, 'crew/ticker', 'hq-n1').waitFor({ timeout: 15_000 });
      await page.close();
      // DNS rebinding: a page from another origin that resolves to 127.0.0.1 carries its own Host.
      const { request } = await import('node:http');
      const status = await new Promise<number>((res, rej) => {
        const r = request(
          {
            host: '127.0.0.1',
            port: d.port,
            path: '/app.js',
            headers: { host: 'evil.example:80' },
          },
          (m) => {
            m.resume();
            res(m.statusCode ?? 0);
          },
        );
        r.on('error', rej);
        r.end();
      });
      expect(status).toBe(403);
      expect(
        (await fetch(`${base}/api/state?token=a-token-of-twenty-chars`, { method: 'POST' })).status,
      ).toBe(405);
    } finally {
      await d.close();
    }
    await expect(startDashboard(n1, { port: 70_000 })).rejects.toThrow(/InvalidArgument|port/);
    await expect(startDashboard(n1, { token: 'short' })).rejects.toThrow(/at least 16/);
    await expect(startDashboard(n1, { colour: 'red' } as never)).rejects.toThrow(/dashboard/);
  }, 120_000);
});
