// Spans exported over OTLP/HTTP to a local collector endpoint on 127.0.0.1 (a real HTTP peer
// that reads the OTLP JSON the exporter sends).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry } from '../../actors/telemetry/index.ts';
import { ActorSystem, newTraceparent } from '../../index.ts';
import { Recorder } from '../support/defs.ts';
import { eventually } from '../support/processes.ts';

interface OtlpSpan {
  traceId: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

let server: Server;
let url = '';
const received: { path: string; type: string; spans: OtlpSpan[]; service: string }[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += String(c);
    const doc = JSON.parse(body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: OtlpSpan[] }[];
      }[];
    };
    for (const rs of doc.resourceSpans) {
      received.push({
        path: req.url ?? '',
        type: String(req.headers['content-type']),
        service:
          rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '',
        spans: rs.scopeSpans.flatMap((s) => s.spans),
      });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('OTLP export', () => {
  it('sends the spans of sampled messages to the configured collector', async () => {
    const sys = await ActorSystem.start({ name: 'otlp', node: 'n1', logLevel: 'silent' });
    try {
      const t = await startTelemetry(sys, {
        tracing: { ratio: 1, otlp: { url, serviceName: 'troupe-test' } },
      });
      const rec = sys.spawn(Recorder, { name: 'rec' });
      const tp = newTraceparent();
      await sys.ask(rec, 'echo', { text: 'hi' }, { timeout: 5000, traceparent: tp });
      // Closing flushes the batch processor.
      await t.close();
      await eventually(async () => {
        const spans = received.flatMap((r) => r.spans);
        expect(spans.find((s) => s.traceId === tp.slice(3, 35))?.name).toBe('recorder echo');
      });
      expect(received[0]).toMatchObject({ path: '/v1/traces', service: 'troupe-test' });
      expect(received[0]!.type).toContain('application/json');
    } finally {
      await sys.shutdown();
    }
  });
});
