import { randomBytes } from 'node:crypto';
import type { Alert } from './alert.ts';
import { type AlertRule, BASE_SETTINGS, type RuleSettings } from './rules.ts';
import type { Signal } from './signal.ts';

/** What one rule knows about one subject (an actor on a node, a peer site…). */
interface Incident {
  rule: AlertRule;
  system: string;
  node: string;
  subject: string;
  /** Signals matched since the incident opened. */
  count: number;
  firstAt: number;
  lastAt: number;
  /** When a message was last sent for it (0: never). */
  sentAt: number;
  /** Signals held back by the dedupe window since the last message. */
  held: number;
  lastText: string;
  /** Storm rules: times of recent signals. */
  times: number[];
  /** When the subject last showed it works again (0: not since the last failure). */
  recoveredAt: number;
  restarts: number;
  /** A firing message went out (not held by the rate limit): only then is recovery told. */
  announced: boolean;
}

interface RateWindow {
  start: number;
  sent: number;
  held: number;
}

const MAX_INCIDENTS = 10_000;

/**
 * The rules at work: which signals become messages, and when. Per rule: dedupe (one message per
 * subject per window, then a summary of what was held back), a storm threshold (one message for
 * a storm), a rate limit (then a summary), recovery ("coder running again after 3 restarts").
 * Pure logic over signals and a clock: it never blocks, whatever the sinks do.
 */
export class AlertEngine {
  private readonly incidents = new Map<string, Incident>();
  private readonly rates = new Map<string, RateWindow>();
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly rules: readonly AlertRule[],
    private readonly settings: ReadonlyMap<string, RuleSettings>,
    private readonly emit: (a: Alert) => void,
  ) {}

  static settingsFor(
    rules: readonly AlertRule[],
    overrides: Record<string, Partial<RuleSettings>>,
  ): Map<string, RuleSettings> {
    const m = new Map<string, RuleSettings>();
    for (const r of rules) m.set(r.name, { ...BASE_SETTINGS, ...r.defaults, ...overrides[r.name] });
    return m;
  }

  private key(rule: string, s: { node: string; subject: string; system: string }): string {
    return `${rule}\u0000${s.system}\u0000${s.node}\u0000${s.subject}`;
  }

  signal(s: Signal): void {
    for (const rule of this.rules) {
      const cfg = this.settings.get(rule.name)!;
      if (!cfg.enabled) continue;
      if (rule.recovery?.on(s)) this.recovering(rule, cfg, s);
      const m = rule.match(s);
      if (m !== null) this.matched(rule, cfg, s, m.title, m.text);
    }
  }

  private recovering(rule: AlertRule, cfg: RuleSettings, s: Signal): void {
    const inc = this.incidents.get(this.key(rule.name, s));
    if (inc === undefined || !inc.announced) return;
    inc.recoveredAt = s.at;
    if (typeof s.data.restarts === 'number') inc.restarts = s.data.restarts;
    else inc.restarts++;
    if (rule.recovery!.immediate || cfg.quietMs === 0) this.resolve(inc, s.at);
  }

  private matched(
    rule: AlertRule,
    cfg: RuleSettings,
    s: Signal,
    title: string,
    text: string,
  ): void {
    const key = this.key(rule.name, s);
    let inc = this.incidents.get(key);
    if (inc === undefined) {
      if (this.incidents.size >= MAX_INCIDENTS) {
        const oldest = this.incidents.keys().next().value;
        if (oldest !== undefined) this.incidents.delete(oldest);
      }
      inc = {
        rule,
        system: s.system,
        node: s.node,
        subject: s.subject,
        count: 0,
        firstAt: s.at,
        lastAt: s.at,
        sentAt: 0,
        held: 0,
        lastText: text,
        times: [],
        recoveredAt: 0,
        restarts: 0,
        announced: false,
      };
      this.incidents.set(key, inc);
    }
    inc.count++;
    inc.lastAt = s.at;
    inc.lastText = text;
    // A restart is both what a storm counts and what shows the actor runs again.
    inc.recoveredAt = rule.recovery?.on(s) ? s.at : 0;
    for (const name of rule.closes ?? []) this.incidents.delete(this.key(name, s));
    if (rule.storm) {
      inc.times.push(s.at);
      while (inc.times.length > 0 && inc.times[0]! < s.at - cfg.stormWindowMs) inc.times.shift();
      if (inc.times.length < cfg.stormCount) return;
      if (inc.sentAt !== 0 && s.at - inc.sentAt < cfg.dedupeMs) {
        inc.held++;
        return;
      }
      const n = inc.times.length;
      const within = Math.max(1, Math.round((s.at - inc.times[0]!) / 1000));
      this.fire(inc, cfg, title, `${text}: ${n} times in ${within} s (last: ${s.reason})`, n, s.at);
      return;
    }
    if (inc.sentAt !== 0 && s.at - inc.sentAt < cfg.dedupeMs) {
      inc.held++;
      return;
    }
    this.fire(inc, cfg, title, text, 1, s.at);
  }

  private fire(
    inc: Incident,
    cfg: RuleSettings,
    title: string,
    text: string,
    count: number,
    at: number,
  ): void {
    const rule = inc.rule;
    inc.sentAt = at;
    inc.held = 0;
    // This message already tells of what those rules held back for the subject.
    for (const name of rule.supersedes ?? []) {
      const other = this.incidents.get(this.key(name, inc));
      if (other) other.held = 0;
    }
    const w = this.rate(rule.name, cfg, at);
    if (w.sent >= cfg.rateLimit) {
      w.held++;
      return;
    }
    w.sent++;
    inc.announced = true;
    this.send(rule.name, cfg, 'firing', inc, title, text, count, at);
  }

  private rate(rule: string, cfg: RuleSettings, now: number): RateWindow {
    let w = this.rates.get(rule);
    // A window that ran out with nothing held back starts over (tick would do it a bit later).
    if (w !== undefined && w.held === 0 && now - w.start >= cfg.rateWindowMs) w = undefined;
    if (w === undefined) {
      w = { start: now, sent: 0, held: 0 };
      this.rates.set(rule, w);
    }
    return w;
  }

  private resolve(inc: Incident, at: number): void {
    const rule = inc.rule;
    const cfg = this.settings.get(rule.name)!;
    this.incidents.delete(this.key(rule.name, inc));
    // One "running again" per subject: a rule that supersedes this one tells it, if it fired.
    for (const other of this.rules) {
      if (!other.supersedes?.includes(rule.name)) continue;
      const sup = this.incidents.get(this.key(other.name, inc));
      if (sup?.announced) return;
    }
    for (const name of rule.supersedes ?? []) this.incidents.delete(this.key(name, inc));
    const text = rule.recovery!.text(inc.subject, {
      count: inc.count,
      restarts: inc.restarts,
      since: inc.firstAt,
      now: at,
    });
    this.send(
      rule.name,
      { ...cfg, severity: 'info' },
      'resolved',
      inc,
      `resolved: ${inc.subject}`,
      text,
      inc.count,
      at,
    );
  }

  private send(
    rule: string,
    cfg: RuleSettings,
    state: Alert['state'],
    where: { system: string; node: string; subject: string },
    title: string,
    text: string,
    count: number,
    at: number,
  ): void {
    this.emit({
      id: `${this.prefix}-${++this.seq}`,
      rule,
      severity: cfg.severity,
      state,
      system: where.system,
      node: where.node,
      subject: where.subject,
      title,
      text,
      count,
      at,
    });
  }

  /**
   * Time passes: summaries for what dedupe windows and rate limits held back, recoveries that
   * stayed quiet long enough, incidents long forgotten.
   */
  tick(now: number): void {
    for (const [key, inc] of this.incidents) {
      const cfg = this.settings.get(inc.rule.name)!;
      if (inc.held > 0 && inc.sentAt !== 0 && now - inc.sentAt >= cfg.dedupeMs) {
        const n = inc.held;
        inc.held = 0;
        inc.sentAt = now;
        const secs = Math.round(cfg.dedupeMs / 1000);
        this.send(
          inc.rule.name,
          cfg,
          'summary',
          inc,
          `${inc.rule.name}: ${inc.subject} (${n} more)`,
          `${n} more like this in the last ${secs} s; the latest: ${inc.lastText}`,
          n,
          now,
        );
        continue;
      }
      if (
        inc.recoveredAt !== 0 &&
        inc.announced &&
        inc.rule.recovery &&
        now - inc.recoveredAt >= cfg.quietMs &&
        now - inc.lastAt >= cfg.quietMs
      ) {
        this.resolve(inc, now);
        continue;
      }
      // Forget what has been quiet for a long time (and never recovered visibly).
      if (
        now - inc.lastAt > Math.max(cfg.dedupeMs, cfg.stormWindowMs, cfg.quietMs) * 10 &&
        inc.held === 0
      ) {
        this.incidents.delete(key);
      }
    }
    for (const [rule, w] of this.rates) {
      const cfg = this.settings.get(rule)!;
      if (now - w.start < cfg.rateWindowMs) continue;
      if (w.held > 0) {
        const secs = Math.round(cfg.rateWindowMs / 1000);
        this.send(
          rule,
          cfg,
          'summary',
          { system: '*', node: '*', subject: rule },
          `${rule}: ${w.held} more alerts held back`,
          `${w.held} more ${rule} alerts in the last ${secs} s were held back by the rate limit (${cfg.rateLimit} per ${secs} s)`,
          w.held,
          now,
        );
      }
      this.rates.delete(rule);
    }
  }

  /** Open incidents, for status. */
  open(): Array<{ rule: string; node: string; subject: string; count: number }> {
    return [...this.incidents.values()].map((i) => ({
      rule: i.rule.name,
      node: i.node,
      subject: i.subject,
      count: i.count,
    }));
  }
}
