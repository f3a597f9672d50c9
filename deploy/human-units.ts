// Durations and sizes the way `troupe tree`, `ps` and `top` print them: short, and the same in
// every command, so a column read in one means the same in the next.

/** `42s`, `5m07s`, `3h02m`. */
export function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** `512k`, `1.5M`, `2.0G`. */
export function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)}G`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)}M`;
  return `${Math.round(n / 1024)}k`;
}
