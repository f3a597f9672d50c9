import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export interface AgentLogOptions {
  /** Rotate when the file passes this size (default 10 MiB). */
  readonly maxBytes?: number;
  /** Rotated files kept: `<file>.1` … `<file>.<n>` (default 3). */
  readonly keep?: number;
}

/**
 * One agent's stdout and stderr as pino JSON lines in its own file, rotated by size. A line the
 * agent already wrote as a JSON object (its pino logger) is kept with `agent` and `stream`
 * added; any other line becomes `msg`. Secret values are replaced before anything is written.
 */
export class AgentLog {
  private fd: number;
  private size: number;
  private readonly maxBytes: number;
  private readonly keep: number;
  private redactions: readonly [string, string][] = [];

  constructor(
    readonly file: string,
    private readonly agent: string,
    o: AgentLogOptions = {},
  ) {
    this.maxBytes = o.maxBytes ?? 10 * 1024 * 1024;
    this.keep = o.keep ?? 3;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Values never to write (the agent's secrets), with what to write instead. */
  redact(secrets: Readonly<Record<string, string>>): void {
    this.redactions = Object.entries(secrets)
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [v, `[secret ${k}]`] as [string, string]);
  }

  scrub(text: string): string {
    let t = text;
    for (const [v, r] of this.redactions) if (t.includes(v)) t = t.replaceAll(v, r);
    return t;
  }

  /** A line from the agent's process. */
  line(stream: 'stdout' | 'stderr', text: string): void {
    const clean = this.scrub(text);
    let rec: Record<string, unknown> | null = null;
    if (clean.startsWith('{')) {
      try {
        const v = JSON.parse(clean) as unknown;
        if (typeof v === 'object' && v !== null && !Array.isArray(v))
          rec = v as Record<string, unknown>;
      } catch {
        rec = null;
      }
    }
    const out =
      rec !== null
        ? { ...rec, agent: this.agent, stream }
        : {
            level: stream === 'stderr' ? 50 : 30,
            time: Date.now(),
            agent: this.agent,
            stream,
            msg: clean,
          };
    this.write(`${JSON.stringify(out)}\n`);
  }

  /** A record from the supervising side (start, exit, limits applied). */
  event(level: number, msg: string, fields: Record<string, unknown> = {}): void {
    this.write(
      `${this.scrub(JSON.stringify({ level, time: Date.now(), agent: this.agent, stream: 'troupe', ...fields, msg }))}\n`,
    );
  }

  private write(s: string): void {
    const b = Buffer.from(s);
    if (this.size + b.length > this.maxBytes && this.size > 0) this.rotate();
    writeSync(this.fd, b);
    this.size += b.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    if (this.keep > 0) renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, this.keep > 0 ? 'a' : 'w', 0o600);
    this.size = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }
}

/** Split a stream into lines, handing each complete one to `f` (bounded line length). */
export function eachLine(
  stream: NodeJS.ReadableStream,
  f: (line: string) => void,
  maxLine = 64 * 1024,
): void {
  let buf = '';
  stream.on('data', (d: Buffer | string) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      f(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
    if (buf.length > maxLine) {
      f(buf);
      buf = '';
    }
  });
  stream.on('end', () => {
    if (buf.length > 0) f(buf);
    buf = '';
  });
}
