// `troupe run`: the example agent on its scripted model, the same file pointed at an
// OpenAI-compatible endpoint with TROUPE_MODEL_URL (a real HTTP server on loopback), and the
// errors a user can make.
import { afterEach, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../support/model-server.ts';
import { runTroupe } from '../support/troupe-cli.ts';

const servers: ModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const EXAMPLE = 'examples/agent/agent.ts';
/** Each test spawns CLI processes: slow on a loaded 2-core machine. */
const SLOW = 120_000;
const troupe = (args: string[], env: NodeJS.ProcessEnv = {}) => runTroupe(args, env, 100_000);

function completion(message: Record<string, unknown>, finish: string) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  };
}

describe('troupe run', () => {
  it(
    'runs the example agent offline: a line per step, the answer, the usage',
    async () => {
      const r = await troupe(['run', EXAMPLE, '--input', 'What time is it?'], {
        TROUPE_MODEL_URL: '',
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe('troupe run: agent timekeeper on embedded');
      expect(lines[1]).toMatch(/^step 1 +model scripted .*→ 1 tool call$/);
      expect(lines[2]).toMatch(/^step 1 +tool clock {2}ok/);
      expect(lines[3]).toMatch(/^step 2 +model scripted .*→ stop$/);
      expect(JSON.parse(lines[4]!).answer).toMatch(/^It is \d{4}-\d\d-\d\dT.*\(UTC\)\.$/);
      expect(lines[5]).toMatch(
        /^usage: 2 model calls, 1 tool call \(0 failed\), \d+ in \/ \d+ out tokens, \$0\.000000, \d+ ms$/,
      );
    },
    SLOW,
  );

  it(
    'the same file on an OpenAI-compatible endpoint, with a 429 retried on the way',
    async () => {
      const srv = await startModelServer([
        {
          json: completion(
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'clock', arguments: '{}' } },
              ],
            },
            'tool_calls',
          ),
        },
        { status: 429, headers: { 'retry-after': '0' }, json: { error: { message: 'slow down' } } },
        { json: completion({ role: 'assistant', content: '{"answer":"It is noon."}' }, 'stop') },
      ]);
      servers.push(srv);
      const r = await troupe(['run', EXAMPLE, '--input', '{"q":"time?"}'], {
        TROUPE_MODEL_URL: `${srv.url}/v1`,
        TROUPE_MODEL: 'gpt-4o-mini',
        OPENAI_API_KEY: 'sk-cli-secret',
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('step 2   model retry 1 in 0 ms (HTTP 429: slow down)');
      expect(r.stdout).toContain('{"answer":"It is noon."}');
      // gpt-4o-mini at $0.15 / $0.60 per million: 2 × (100 in, 20 out).
      expect(r.stdout).toMatch(
        /usage: 2 model calls, 1 tool call \(0 failed\), 200 in \/ 40 out tokens, \$0\.000054, \d+ ms/,
      );
      expect(r.stdout).not.toContain('sk-cli-secret');
      expect(srv.seen).toHaveLength(3);
      expect(srv.seen[0]!.headers.authorization).toBe('Bearer sk-cli-secret');
      expect(srv.seen[0]!.body.model).toBe('gpt-4o-mini');
      expect((srv.seen[0]!.body.messages as { content: string }[]).at(-1)!.content).toBe(
        '{"q":"time?"}',
      );
    },
    SLOW,
  );

  it(
    'a failed run prints its usage and exits 1 with the reason',
    async () => {
      const srv = await startModelServer([
        { status: 401, json: { error: { message: 'Incorrect API key provided' } } },
      ]);
      servers.push(srv);
      const r = await troupe(['run', EXAMPLE, '--input', 'x'], {
        TROUPE_MODEL_URL: srv.url,
        OPENAI_API_KEY: 'sk-bad',
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('step 1   model llama3.2 failed (rejected)');
      expect(r.stdout).toMatch(/usage: 1 model call, 0 tool calls/);
      expect(r.stderr).toMatch(
        /^troupe: ActorFailedError: timekeeper failed: model API refused the request: HTTP 401: Incorrect API key provided\n$/,
      );
      expect(r.stderr + r.stdout).not.toContain('sk-bad');
    },
    SLOW,
  );

  it(
    'a module that is not an agent, a missing module and a missing argument are clear errors',
    async () => {
      const [bad, missing, usage] = await Promise.all([
        troupe(['run', 'test/fixtures/not-an-agent.ts']),
        troupe(['run', 'examples/agent/nope.ts']),
        troupe(['run']),
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/must export default defineAgent/);
      expect(missing.stderr).toBe(
        'troupe: InvalidArgumentError: module examples/agent/nope.ts not found\n',
      );
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/run takes <agent\.ts>/);
    },
    SLOW,
  );
});
