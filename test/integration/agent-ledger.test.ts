// An agent run on the embedded default, recorded by the audit ledger: its model.call and
// tool.call events are in the signed log and each has an inclusion proof to the checkpoint.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeAuditBatch, startAuditLedger, verifyLedger } from '../../actors/ledger/index.ts';
import { ActorSystem, defineAgent, hashOf, scriptedModel, tool } from '../../index.ts';
import { verifyInclusion } from '../../protocols/merkle/index.ts';
import { b64, entriesOf, seededLedgerKeys, useLedgerBase } from '../support/ledger-run.ts';

const ORIGIN = 'agents.test/ledger';
const keys = seededLedgerKeys(ORIGIN, 5);
const base = useLedgerBase('troupe-agent-ledger-');

describe('agent audit in the ledger', () => {
  it('every model and tool call of a run is in the ledger, provable against the signed checkpoint', async () => {
    const dir = join(base, 'l');
    const sys = await ActorSystem.start({ name: 'agl', logLevel: 'silent' });
    try {
      const ledger = await startAuditLedger(sys, { dir, origin: ORIGIN, keys });
      const lookup = tool({
        name: 'lookup',
        description: 'Look a word up',
        input: z.object({ word: z.string() }),
        run: ({ word }) => `${word}: a small mammal`,
      });
      const model = scriptedModel([
        { toolCalls: [{ name: 'lookup', args: { word: 'otter' } }] },
        '{"definition":"a small mammal"}',
      ]);
      const A = defineAgent({
        type: 'lexicographer',
        model,
        instructions: 'Define words.',
        tools: [lookup],
        output: z.object({ definition: z.string() }),
      });
      const ref = sys.spawn(A, { name: 'lex' });
      expect(await sys.ask(ref, 'run', { input: 'otter' }, { timeout: 10_000 })).toEqual({
        definition: 'a small mammal',
      });
      const st = await ledger.settle({ checkpoint: true });
      expect(st.halted).toBeNull();
      const cp = st.checkpoint!;

      // Find the agent's events in the committed leaves.
      const entries = entriesOf(dir);
      const found: { index: number; kind: string; data: Record<string, unknown> }[] = [];
      entries.forEach((e, index) => {
        if (e.leaf.type !== 'event' || e.payload.status !== 'present') return;
        for (const ev of decodeAuditBatch(e.payload.payload)) {
          if (ev.actor === 'lex' && (ev.kind === 'model.call' || ev.kind === 'tool.call')) {
            found.push({ index, kind: ev.kind, data: ev.data as Record<string, unknown> });
          }
        }
      });
      expect(found.map((f) => f.kind)).toEqual(['model.call', 'tool.call', 'model.call']);
      // What the ledger holds commits to exactly what the model was asked and answered.
      const req0 = model.requests[0]!;
      expect(found[0]!.data.promptHash).toBe(hashOf(req0.messages));
      expect(found[1]!.data).toMatchObject({
        name: 'lookup',
        outcome: 'ok',
        argsHash: hashOf('{"word":"otter"}'),
      });
      expect(found[2]!.data).toMatchObject({ finishReason: 'stop', model: 'scripted' });

      for (const f of found) {
        const p = await sys.ask(ledger.ref, 'prove', { index: f.index }, { timeout: 5000 });
        expect(p.checkpoint).toBe(cp.note);
        verifyInclusion(b64(p.leafHash), f.index, p.size, p.proof.map(b64), b64(cp.root));
      }
      await ledger.close();
      const report = await verifyLedger(dir);
      expect(report.ok).toBe(true);
    } finally {
      await sys.shutdown();
    }
  });
});
