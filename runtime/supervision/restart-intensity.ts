/**
 * OTP's restart intensity: a restart is allowed unless it would make more than `intensity`
 * restarts within the last `period` seconds. Timestamps in ms.
 */
export function allowRestart(
  history: number[],
  now: number,
  intensity: number,
  periodS: number,
): boolean {
  const cutoff = now - periodS * 1000;
  let i = 0;
  while (i < history.length && history[i]! <= cutoff) i++;
  if (i > 0) history.splice(0, i);
  history.push(now);
  return history.length <= intensity;
}
