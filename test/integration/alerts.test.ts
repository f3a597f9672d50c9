// Alerts delivered to real local HTTP peers: a server that speaks the Telegram Bot API and a
// webhook receiver that checks the HMAC. Systems are real (embedded, or on a real nats-server).
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Alerts, type AlertsOptions, startAlerts } from '../../actors/alerts/index.ts';
import { ActorSystem, Hung, InvalidArgument } from '../../index.ts';
import { Flaky, type FlakyP } from '../support/flaky.ts';
import { stopAllNatsServers } from '../support/nats-server.ts';
import { eventually } from '../support/processes.ts';
import { supervisorOf } from '../support/supervisors.ts';
import { BotApiServer } from '../support/telegram-bot-api.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const TOKEN = '123456:ABC-test_token';
const CHAT = -100123;
const SECRET = 'a webhook secret of some length';

let bot: BotApiServer;
let hook: WebhookReceiver;
const systems: ActorSystem[] = [];
const alertsList: Alerts[] = [];

beforeEach(async () => {
  bot = new BotApiServer(TOKEN, CHAT);
  await bot.start();
  hook = new WebhookReceiver(SECRET);
  await hook.start();
});
afterEach(async () => {
  await Promise.all(alertsList.splice(0).map((a) => a.close()));
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 2000 })));
  await bot.close();
  await hook.close();
});
afterAll(async () => {
  await stopAllNatsServers();
});

async function embedded(name = 'al'): Promise<ActorSystem> {
  const s = await ActorSystem.start({ name, node: 'n1', logLevel: 'silent' });
  systems.push(s);
  return s;
}

/** The Telegram sink's delivery counts. */
async function telegramSink(a: Alerts) {
  return (await a.status()).sinks.find((s) => s.sink === 'telegram')!;
}

async function alerts(sys: ActorSystem, extra: Partial<AlertsOptions> = {}): Promise<Alerts> {
  const a = await startAlerts(sys, {
    telegram: { botToken: TOKEN, chatId: CHAT, baseUrl: bot.baseUrl },
    webhook: { url: hook.url, secret: SECRET },
    log: false,
    tickMs: 50,
    delivery: { initialMs: 50, maxMs: 500 },
    ...extra,
    rules: { crash: { quietMs: 300 }, ...extra.rules },
  });
  alertsList.push(a);
  return a;
}

const texts = () => bot.messages.map((m) => m.text);

describe('alerts to Telegram and a signed webhook', () => {
  it('a crash: one message to each sink, then "running again" once the actor stays up', async () => {
    const sys = await embedded();
    await alerts(sys);
    const coder = sys.spawn(Flaky, { name: 'coder' });
    sys.tell(coder, 'boom', { reason: 'model said: no (1.5 * x) [retry]!' });
    const [first] = await bot.waitFor(1);
    expect(first!.text).toContain('crash: coder');
    // MarkdownV2: the reason's reserved characters arrive escaped, and read back intact.
    expect(first!.text).toContain('model said: no (1.5 * x) [retry]!');
    expect(first!.raw).toContain('\\(1\\.5 \\* x\\) \\[retry\\]\\!');
    await eventually(async () => expect(hook.accepted.length).toBeGreaterThanOrEqual(1));
    expect(hook.accepted[0]).toMatchObject({
      version: 1,
      rule: 'crash',
      severity: 'error',
      state: 'firing',
      system: 'al',
      node: 'n1',
      subject: 'coder',
    });
    expect(hook.refused).toEqual([]);
    // The actor restarted and stays up: a recovery message follows.
    expect(await sys.ask(coder, 'ping', {}, { timeout: 5000 })).toBe('pong');
    await bot.waitFor(2);
    expect(texts()[1]).toContain('coder running again after 1 restart');
    await eventually(async () =>
      expect(hook.accepted.map((a) => a.state)).toEqual(['firing', 'resolved']),
    );
  });

  it('a storm is one crash, one storm and one gave-up message, not one per crash', async () => {
    const sys = await embedded();
    const a = await alerts(sys, {
      rules: { crash: { rateLimit: 3, rateWindowMs: 1000, quietMs: 60_000 } },
    });
    const coder = sys.spawn(Flaky, { name: 'coder' });
    // The default directive allows 10 restarts in 10 s: the 11th crash gives up.
    for (let i = 0; i < 11; i++) sys.tell(coder, 'boom', { reason: `attempt ${i}` });
    await eventually(
      async () => expect(texts().some((t) => t.includes('gave up: coder'))).toBe(true),
      20_000,
    );
    expect(await a.drained()).toBe(true);
    const storm = texts();
    expect(storm.filter((t) => t.includes('crash: coder'))).toHaveLength(1);
    expect(storm.filter((t) => t.includes('restart storm: coder'))).toHaveLength(1);
    expect(storm.find((t) => t.includes('restart storm'))).toMatch(
      /restarting over and over: \d+ times in \d+ s/,
    );
    expect(storm).toHaveLength(3);

    expect(await telegramSink(a)).toMatchObject({ delivered: 3, dropped: 0, queued: 0 });
  });

  it('a rate limit: past it, one summary of what was held back', async () => {
    const sys = await embedded();
    const a = await alerts(sys, {
      rules: { crash: { rateLimit: 3, rateWindowMs: 1000, quietMs: 60_000 } },
    });
    // Eight actors crash at once: three crash messages, then one summary of the five held back.
    for (let i = 0; i < 8; i++)
      sys.tell(sys.spawn(Flaky, { name: `w${i}` }), 'boom', { reason: 'x' });
    await eventually(
      async () => expect(texts().some((t) => t.includes('5 more crash alerts'))).toBe(true),
      20_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(texts())}`);
    });
    const after = texts();
    expect(after.filter((t) => t.startsWith('🟠 crash: w'))).toHaveLength(3);
    expect(after.filter((t) => t.includes('held back'))).toHaveLength(1);
    expect(await a.drained()).toBe(true);
    expect(texts()).toHaveLength(4);
    expect(await telegramSink(a)).toMatchObject({ delivered: 4, dropped: 0, queued: 0 });
  });

  it('a hung handler and a supervisor that gave up', async () => {
    const sys = await embedded();
    await alerts(sys);
    const Sup = supervisorOf('team', [{ id: 'slow', start: { def: Flaky }, maxHandlerMs: 100 }], {
      intensity: 1,
    });
    sys.spawn(Sup, { name: 'team' });
    await sys.allStarted();
    const slow = { system: 'al', path: 'team/slow' } as const;
    await expect(
      sys.ask<FlakyP, 'sleep'>(slow, 'sleep', { ms: 10_000 }, { timeout: 20_000 }),
    ).rejects.toBeInstanceOf(Hung);
    await eventually(async () =>
      expect(texts().some((t) => t.includes('hung: team/slow'))).toBe(true),
    );
    // One more failure within the period exceeds intensity 1: the supervisor gives up.
    await sys.allStarted();
    sys.tell(slow, 'boom', { reason: 'again' });
    await eventually(
      async () => expect(texts().some((t) => t.includes('gave up: team'))).toBe(true),
      20_000,
    );
    await eventually(async () =>
      expect(hook.accepted.some((a) => a.rule === 'gave-up')).toBe(true),
    );
    expect(hook.accepted.find((a) => a.rule === 'gave-up')).toMatchObject({
      severity: 'critical',
      subject: 'team',
    });
  });

  it('honours 429 retry_after and retries a 500, losing nothing', async () => {
    const sys = await embedded();
    await alerts(sys);
    bot.fail(
      {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 1',
          parameters: { retry_after: 1 },
        },
      },
      { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } },
    );
    sys.tell(sys.spawn(Flaky, { name: 'coder' }), 'boom', { reason: 'x' });
    await bot.waitFor(1);
    expect(bot.requests.map((r) => r.status).slice(0, 3)).toEqual([429, 500, 200]);
    // The retry after the 429 waited at least what Telegram asked for.
    expect(bot.requests[1]!.at - bot.requests[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(texts()[0]).toContain('crash: coder');
  });

  it('a sink down for 10 s: the system carries on, everything is delivered once it is back', async () => {
    const sys = await embedded();
    const a = await alerts(sys, { rules: { crash: { quietMs: 600_000 } } });
    const port = bot.port;
    await bot.stop();
    const actors = Array.from({ length: 5 }, (_, i) => sys.spawn(Flaky, { name: `a${i}` }));
    for (const r of actors) sys.tell(r, 'boom', { reason: 'while telegram is down' });
    const downUntil = Date.now() + 10_000;
    // Meanwhile the system is unaffected: asks are answered, the alerts actor answers too.
    let asks = 0;
    while (Date.now() < downUntil) {
      for (const r of actors) expect(await sys.ask(r, 'ping', {}, { timeout: 2000 })).toBe('pong');
      asks += actors.length;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(asks).toBeGreaterThan(0);
    const tg = await telegramSink(a);
    expect(tg).toMatchObject({ down: true, queued: 5, dropped: 0 });
    expect(tg.lastError).toMatch(/unreachable/);
    expect(tg.retries).toBeGreaterThan(0);
    // The webhook was up all along and has every alert already.
    expect(hook.accepted.filter((x) => x.rule === 'crash')).toHaveLength(5);

    bot.port = port;
    await bot.start();
    await bot.waitFor(5, 30_000);
    expect(await a.drained()).toBe(true);
    expect(
      texts()
        .map((t) => /crash: (a\d)/.exec(t)?.[1])
        .sort(),
    ).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(await telegramSink(a)).toMatchObject({
      down: false,
      queued: 0,
      delivered: 5,
      dropped: 0,
    });
  }, 60_000);

  it('past its bound a down sink drops the oldest, counts them, and says so when it is back', async () => {
    const sys = await embedded();
    const a = await alerts(sys, {
      delivery: { capacity: 3, initialMs: 50, maxMs: 200 },
      rules: { crash: { quietMs: 600_000 } },
    });
    const port = bot.port;
    await bot.stop();
    for (let i = 0; i < 6; i++)
      sys.tell(sys.spawn(Flaky, { name: `b${i}` }), 'boom', { reason: 'x' });
    await eventually(async () => {
      const tg = await telegramSink(a);
      expect(tg).toMatchObject({ queued: 3, dropped: 3 });
    });
    bot.port = port;
    await bot.start();
    await bot.waitFor(4);
    expect(
      texts()
        .slice(0, 3)
        .map((t) => /crash: (b\d)/.exec(t)?.[1]),
    ).toEqual(['b3', 'b4', 'b5']);
    expect(texts()[3]).toContain('3 alerts lost');
  });

  it('a sink that refuses for good (chat not found) is not retried forever', async () => {
    const sys = await embedded();
    const a = await startAlerts(sys, {
      telegram: { botToken: TOKEN, chatId: 42, baseUrl: bot.baseUrl },
      log: false,
      tickMs: 50,
    });
    alertsList.push(a);
    sys.tell(sys.spawn(Flaky, { name: 'c' }), 'boom', { reason: 'x' });
    await eventually(async () => {
      const tg = await telegramSink(a);
      expect(tg).toMatchObject({ rejected: 1, queued: 0, delivered: 0 });
      expect(tg.lastError).toContain('chat not found');
    });
    expect(bot.requests).toHaveLength(1);
  });

  it('refuses bad options with one clear error naming the field', async () => {
    const sys = await embedded();
    const bad: [unknown, RegExp][] = [
      [
        { telegram: { chatId: 1, botTokenEnv: 'TROUPE_TEST_NO_SUCH_VAR' } },
        /telegram\.botToken: the bot token: give it, or set TROUPE_TEST_NO_SUCH_VAR/,
      ],
      [{ telegram: { botToken: 'x', chatId: 1, baseUrl: 'nope' } }, /telegram\.baseUrl/],
      [
        { webhook: { url: 'http://127.0.0.1:1/x', secret: 'short' } },
        /webhook\.secret: at least 16/,
      ],
      [{ rules: { nosuch: { dedupeMs: 1 } } }, /rules\.nosuch: no such rule/],
      [{ rules: { crash: { severity: 'loud' } } }, /rules\.crash\.severity/],
      [{ delivery: { capacity: 0 } }, /delivery\.capacity/],
      [
        { extraRules: [{ name: 'crash', defaults: { severity: 'info' }, match: () => null }] },
        /a rule named crash exists/,
      ],
      [{ surprise: true }, /alerts options/],
    ];
    for (const [opts, msg] of bad) {
      const err = await startAlerts(sys, opts as AlertsOptions).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgument);
      expect((err as Error).message).toMatch(msg);
    }
    // Secrets from the environment, as the docs say.
    process.env.TROUPE_TEST_BOT_TOKEN = TOKEN;
    try {
      const a = await startAlerts(sys, {
        telegram: { botTokenEnv: 'TROUPE_TEST_BOT_TOKEN', chatId: CHAT, baseUrl: bot.baseUrl },
        log: false,
      });
      alertsList.push(a);
      sys.tell(sys.spawn(Flaky, { name: 'e' }), 'boom', { reason: 'x' });
      await bot.waitFor(1);
    } finally {
      delete process.env.TROUPE_TEST_BOT_TOKEN;
    }
  });
});
