// The SSE parser yields the same events however the bytes are cut into chunks and whichever
// line ending the server uses (LF, CRLF, CR), multi-byte characters split included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SseEvent, sseEvents } from '../../actors/agents/index.ts';

const line = fc.string({ maxLength: 40 }).filter((s) => !/[\r\n]/.test(s));
const event = fc.record({
  event: fc.option(fc.stringMatching(/^[a-z_]{1,12}$/), { nil: undefined }),
  data: fc.array(line, { minLength: 1, maxLength: 3 }),
});

async function parse(bytes: Uint8Array, cuts: number[]): Promise<SseEvent[]> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  async function* chunks() {
    let at = 0;
    for (const p of [...points, bytes.length]) {
      yield bytes.subarray(at, p);
      at = p;
    }
  }
  const out: SseEvent[] = [];
  for await (const e of sseEvents(chunks())) out.push(e);
  return out;
}

describe('sseEvents', () => {
  it('parses any chunking and line ending to the same events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        async (events, eol, cuts, comments) => {
          const text = events
            .map(
              (e) =>
                (comments ? `: keep-alive${eol}` : '') +
                (e.event ? `event: ${e.event}${eol}` : '') +
                e.data.map((d) => `data: ${d}${eol}`).join('') +
                eol,
            )
            .join('');
          const got = await parse(new TextEncoder().encode(text), cuts);
          expect(got).toEqual(
            events.map((e) => ({ event: e.event ?? 'message', data: e.data.join('\n') })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ends a last event that has no blank line after it', async () => {
    const got = await parse(new TextEncoder().encode('data: a\ndata: b'), []);
    expect(got).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
