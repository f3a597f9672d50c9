import { type Task, TaskState } from '@a2a-js/sdk';
import { type Client, ClientFactory } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userMessage } from '../../actors/interop/a2a/parts.ts';
import { sendRequest } from '../../actors/interop/a2a/send-request.ts';
import { type A2AServer, serveA2A } from '../../actors/interop/index.ts';
import { ActorSystem } from '../../runtime/index.ts';
import { StandIn } from '../support/interop-agents.ts';

const TOKEN = 'test-token-0123456789abcdef';
const KEY = 'api-key-0123456789abcdef';
let system: ActorSystem;
let server: A2AServer;
let client: Client;
const auth = { serviceParameters: { Authorization: `Bearer ${TOKEN}` } };

function textOf(t: Task): string {
  const p = t.artifacts[0]?.parts[0]?.content;
  return p?.$case === 'text' ? p.value : JSON.stringify(p?.value);
}

beforeAll(async () => {
  system = await ActorSystem.start({ name: 'a2a', logLevel: 'silent' });
  const ref = system.spawn(StandIn, { name: 'agent' });
  server = await serveA2A(system, {
    target: { ref, def: StandIn, name: 'stand-in', description: 'an echo agent' },
    auth: { bearer: [TOKEN], apiKey: { header: 'X-API-Key', keys: [KEY] } },
  });
  client = await new ClientFactory().createFromUrl(server.url);
});

afterAll(async () => {
  await server?.close();
  await system?.shutdown({ timeoutMs: 2000 });
});

describe('troupe A2A server, @a2a-js/sdk client', () => {
  it('serves an agent card built from the definition', async () => {
    const card = await client.getAgentCard();
    expect(card.name).toBe('stand-in');
    expect(card.capabilities?.streaming).toBe(true);
    expect(card.skills.map((s) => s.id)).toEqual(['run', 'add', 'canceled', 'release']);
    expect(card.skills[0]?.inputModes).toEqual(['text/plain']);
    expect(card.skills[1]?.inputModes).toEqual(['application/json']);
    expect(card.skills[1]?.description).toBe('Add two numbers');
    expect(Object.keys(card.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    const raw = await fetch(new URL('/.well-known/agent-card.json', server.url), {
      headers: { 'A2A-Version': '1.0' },
    });
    expect(raw.status).toBe(200);
    expect(((await raw.json()) as { name: string }).name).toBe('stand-in');
  });

  it('sends a message and gets the completed task with the output artifact', async () => {
    const res = await client.sendMessage(sendRequest(userMessage('hello')), auth);
    const task = res as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(task)).toBe('echo: hello');
    const again = await client.getTask({ tenant: '', id: task.id, historyLength: undefined }, auth);
    expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(again)).toBe('echo: hello');
  });

  it('calls another ask as a skill with a data request, authenticated by API key', async () => {
    const m = userMessage(JSON.stringify({ a: 2, b: 40 }), { metadata: { skill: 'add' } });
    const res = (await client.sendMessage(sendRequest(m), {
      serviceParameters: { 'X-API-Key': KEY },
    })) as Task;
    expect(res.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const p = res.artifacts[0]?.parts[0]?.content;
    expect(p).toEqual({ $case: 'data', value: { sum: 42 } });
  });

  it('streams status updates, progress and the artifact over SSE', async () => {
    const events: string[] = [];
    let progress = '';
    let output = '';
    for await (const ev of client.sendMessageStream(sendRequest(userMessage('stream me')), auth)) {
      const p = ev.payload;
      if (!p) continue;
      if (p.$case === 'statusUpdate') {
        events.push(TaskState[p.value.status!.state]);
        const part = p.value.status?.message?.parts[0]?.content;
        if (part?.$case === 'text') progress = part.value;
      } else if (p.$case === 'artifactUpdate') {
        const c = p.value.artifact?.parts[0]?.content;
        if (c?.$case === 'text') output = c.value;
        events.push('artifact');
      } else events.push(p.$case);
    }
    expect(events[0]).toBe('task');
    expect(events).toContain('TASK_STATE_WORKING');
    expect(events.at(-1)).toBe('TASK_STATE_COMPLETED');
    expect(progress).toBe('halfway');
    expect(output).toBe('echo: stream me');
  });

  it('shows an approval gate as input-required, and completes on the follow-up', async () => {
    const first = (await client.sendMessage(sendRequest(userMessage('deploy')), auth)) as Task;
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const prompt = first.status?.message?.parts[0]?.content;
    expect(prompt).toEqual({ $case: 'text', value: 'approve the deploy to production?' });
    const follow = userMessage('approve', { taskId: first.id });
    follow.contextId = first.contextId;
    const done = (await client.sendMessage(sendRequest(follow), auth)) as Task;
    expect(done.id).toBe(first.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(done)).toBe('deployed');
  });

  it('cancels a running task and tells the actor', async () => {
    const started = (await client.sendMessage(
      sendRequest(userMessage('slow'), true),
      auth,
    )) as Task;
    // Wait for the run to reach the actor: its progress report shows as a working status.
    const deadline = Date.now() + 10_000;
    let t = started;
    while (t.status?.state !== TaskState.TASK_STATE_WORKING && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      t = await client.getTask({ tenant: '', id: started.id, historyLength: undefined }, auth);
    }
    const canceled = await client.cancelTask(
      { tenant: '', id: started.id, metadata: undefined },
      auth,
    );
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const later = await client.getTask(
      { tenant: '', id: started.id, historyLength: undefined },
      auth,
    );
    expect(later.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const seen = await system.ask(
      { system: 'a2a', path: 'agent' } as never,
      'canceled' as never,
      {} as never,
      { timeout: 5000 },
    );
    expect(seen).toContain(started.id);
  });

  it('fails a task whose run fails, with the reason', async () => {
    const res = (await client.sendMessage(sendRequest(userMessage('fail')), auth)) as Task;
    expect(res.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    const c = res.status?.message?.parts[0]?.content;
    expect(c?.$case === 'text' && c.value).toContain('the tool broke');
  });

  it('fails a task whose input the actor rejects', async () => {
    const m = userMessage(JSON.stringify({ a: 'x' }), { metadata: { skill: 'add' } });
    const res = (await client.sendMessage(sendRequest(m), auth)) as Task;
    expect(res.status?.state).toBe(TaskState.TASK_STATE_FAILED);
  });

  it('refuses calls without a valid credential', async () => {
    await expect(client.sendMessage(sendRequest(userMessage('hello')))).rejects.toThrow();
    await expect(
      client.sendMessage(sendRequest(userMessage('hello')), {
        serviceParameters: { Authorization: 'Bearer wrong-token-0123456789' },
      }),
    ).rejects.toThrow();
    const r = await fetch(server.url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(401);
  });

  it('speaks v0.3 to clients that send no A2A-Version (the SDK compat layer)', async () => {
    const card = await fetch(new URL('/.well-known/agent-card.json', server.url));
    expect(((await card.json()) as { protocolVersion: string }).protocolVersion).toBe('0.3');
    const r = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'message/send',
        params: {
          message: {
            kind: 'message',
            messageId: 'm-03',
            role: 'user',
            parts: [{ kind: 'text', text: 'old client' }],
          },
        },
      }),
    });
    const body = (await r.json()) as {
      result: {
        kind: string;
        status: { state: string };
        artifacts: { parts: { text: string }[] }[];
      };
    };
    expect(body.result.kind).toBe('task');
    expect(body.result.status.state).toBe('completed');
    expect(body.result.artifacts[0]?.parts[0]?.text).toBe('echo: old client');
  });

  it('answers an unknown task with an error', async () => {
    await expect(
      client.getTask({ tenant: '', id: 'no-such-task', historyLength: undefined }, auth),
    ).rejects.toThrow(/not found|task/i);
  });
});
