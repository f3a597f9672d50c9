/** One server-sent event: its `event` name (default `message`) and its joined `data` lines. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Server-sent events from a response body, as the WHATWG spec frames them: lines ending in
 * CR, LF or CRLF, `field: value`, comments from `:`, an event per blank line.
 */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  let event = '';
  let data: string[] = [];
  const line = (l: string): SseEvent | null => {
    if (l === '') {
      if (data.length === 0) {
        event = '';
        return null;
      }
      const e = { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      return e;
    }
    if (l.startsWith(':')) return null;
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return null;
  };
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buf);
      if (m === null) break;
      // A lone CR at the very end may be half of a CRLF: wait for the next chunk.
      if (m[0] === '\r' && m.index === buf.length - 1) break;
      const l = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      const e = line(l);
      if (e !== null) yield e;
    }
  }
  buf += decoder.decode();
  if (buf.length > 0) {
    for (const l of buf.split(/\r\n|\r|\n/)) {
      const e = line(l);
      if (e !== null) yield e;
    }
  }
  const e = line('');
  if (e !== null) yield e;
}
