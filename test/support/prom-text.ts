// A typed face for parse-prometheus-text-format (it ships no types): tests read `/metrics`
// through a real text-format parser, never through prom-client's own registry.
import { createRequire } from 'node:module';

export interface PromSample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface PromFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: PromSample[];
}

const require = createRequire(import.meta.url);
const parse = require('parse-prometheus-text-format') as (text: string) => PromFamily[];

export function parsePromText(text: string): Map<string, PromFamily> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The value of one sample of a family whose labels include `labels` (0 when absent). */
export function sample(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const f = families.get(name);
  if (!f) return 0;
  const m = f.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  if (!m) return 0;
  if (m.value !== undefined) return Number(m.value);
  return Number(m.count ?? 0);
}

/**
 * The observation count of one label set of a histogram. The parser folds every label set of a
 * histogram into one, so the text is cut down to that family and label set before parsing.
 */
export function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = text
    .split('\n')
    .filter(
      (l) =>
        l === `# TYPE ${name} histogram` ||
        (l.startsWith(`${name}_`) && want.every((w) => l.includes(w))),
    );
  const f = parse(`${lines.join('\n')}\n`).find((x) => x.name === name);
  return Number(f?.metrics[0]?.buckets?.['+Inf'] ?? 0);
}
