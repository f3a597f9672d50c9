import { randomBytes } from 'node:crypto';
import { AgentCard } from '@a2a-js/sdk';
import {
  type A2ARequestHandler,
  JsonRpcTransportHandler,
  ServerCallContext,
} from '@a2a-js/sdk/server';
import { z } from 'zod';
import {
  type ActorRef,
  type ActorSystem,
  type AskOptions,
  defineActor,
  InvalidArgument,
  type ProtocolOf,
  TransportError,
} from '../../../runtime/index.ts';
import { ServedAgent, type ServeTarget } from '../served-agent.ts';
import { NamedUser } from './named-user.ts';
import { a2aHandler } from './server.ts';

/**
 * The A2A-over-NATS binding (A2A spec §12 allows custom bindings): the JSON-RPC messages of
 * the JSONRPC binding, unchanged, carried by troupe asks and tells instead of HTTP, so troupe
 * nodes reach each other's agents without an HTTP listener, with NATS credentials and subject
 * permissions as the access control and the kernel's deadlines and trace context.
 *
 * - Endpoint: an `a2a-endpoint` actor at any path (subject `troupe.<sys>.a.<path…>`).
 * - Unary methods (SendMessage, GetTask, CancelTask, ListTasks, …): ask `a2a.rpc`
 *   `{ request }`; the reply is `{ response }`, the JSON-RPC response object.
 * - Streaming methods (SendStreamingMessage, SubscribeToTask): ask `a2a.rpc`
 *   `{ request, streamTo: { path, stream } }`; each JSON-RPC response of the stream is told
 *   as `a2a.event { stream, seq, response }` to the actor at `path`, in order; the ask's reply
 *   `{ streamed: n }` comes when the stream ends (the client waits for all n events).
 * - The card: ask `a2a.card` → the agent card as JSON.
 */
export const A2A_NATS_BINDING = 'urn:troupe:a2a:nats';

const JsonRpcRequest = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number(), z.null()]).optional(),
    method: z.string().min(1).max(128),
    params: z.unknown().optional(),
  })
  .loose();
const JsonObject = z.record(z.string(), z.unknown());

function isStream(x: unknown): x is AsyncGenerator<unknown> {
  return typeof (x as AsyncGenerator | null)?.[Symbol.asyncIterator] === 'function';
}

// JSON-RPC objects may hold undefined members; the wire codec and peers want plain JSON.
const plain = (x: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(x)) as Record<string, unknown>;

export const A2AEndpoint = defineActor({
  type: 'a2a-endpoint',
  state: (args: { handler: A2ARequestHandler }) => ({
    handler: args.handler,
    rpc: new JsonRpcTransportHandler(args.handler),
  }),
  tells: {},
  asks: {
    'a2a.rpc': {
      request: z.object({
        request: JsonRpcRequest,
        streamTo: z
          .object({ path: z.string().min(1), stream: z.string().min(1).max(64) })
          .optional(),
      }),
      reply: z.object({
        response: JsonObject.optional(),
        streamed: z.number().int().nonnegative().optional(),
      }),
    },
    'a2a.card': { request: z.object({}), reply: JsonObject },
  },
  handle: {
    'a2a.rpc': (s, m, ctx) => {
      const r = ctx.deferReply();
      const context = new ServerCallContext({
        user: new NamedUser(ctx.sender ? `nats:${ctx.sender.path}` : 'nats'),
        requestedVersion: '1.0',
      });
      void (async () => {
        const out = await s.rpc.handle(m.request, context);
        if (!isStream(out)) {
          r.reply({ response: plain(out) });
          return;
        }
        if (!m.streamTo) {
          await out.return(undefined);
          r.reply({
            response: {
              jsonrpc: '2.0',
              id: m.request.id ?? null,
              error: { code: -32600, message: `${m.request.method} streams: send streamTo` },
            },
          });
          return;
        }
        const to = { system: ctx.system, path: m.streamTo.path } as ActorRef<ReceiverProtocol>;
        let seq = 0;
        for await (const ev of out) {
          ctx.tell(to, 'a2a.event', { stream: m.streamTo.stream, seq, response: plain(ev) });
          seq++;
        }
        r.reply({ streamed: seq });
      })().catch((err: unknown) => r.fail(err instanceof Error ? err : new Error(String(err))));
    },
    'a2a.card': (s, _m, ctx) => {
      const r = ctx.deferReply();
      s.handler.getAgentCard().then(
        (card) => r.reply(plain(AgentCard.toJSON(card))),
        (err: Error) => r.fail(err),
      );
    },
  },
});

export type A2AEndpointRef = ActorRef<ProtocolOf<typeof A2AEndpoint>>;

interface StreamQueue {
  events: Map<number, Record<string, unknown>>;
  wake: (() => void) | null;
}

const ReceiverEvent = z.object({
  stream: z.string(),
  seq: z.number().int().nonnegative(),
  response: JsonObject,
});

const Receiver = defineActor({
  type: 'a2a-stream-receiver',
  state: (streams: Map<string, StreamQueue>) => ({ streams }),
  tells: { 'a2a.event': ReceiverEvent },
  handle: {
    'a2a.event': (s, m) => {
      const q = s.streams.get(m.stream);
      if (!q) return;
      q.events.set(m.seq, m.response);
      q.wake?.();
    },
  },
});
type ReceiverProtocol = ProtocolOf<typeof Receiver>;

export interface JsonRpcResponse {
  readonly jsonrpc: '2.0';
  readonly id?: string | number | null;
  readonly result?: unknown;
  readonly error?: { code: number; message: string; data?: unknown };
}

/**
 * The client side of the binding: JSON-RPC requests of the A2A JSONRPC binding to an
 * endpoint on any node. `call` for unary methods, `stream` for streaming ones.
 */
export class A2ANatsClient {
  private readonly streams = new Map<string, StreamQueue>();
  private receiver: ActorRef | null = null;
  private nextId = 1;

  constructor(
    private readonly system: ActorSystem,
    private readonly endpoint: A2AEndpointRef,
  ) {}

  private ensureReceiver(): ActorRef {
    this.receiver ??= this.system.spawn(Receiver, {
      name: `a2a-client-${randomBytes(4).toString('hex')}`,
      args: this.streams,
    });
    return this.receiver;
  }

  async card(opts: AskOptions): Promise<Record<string, unknown>> {
    return this.system.ask(this.endpoint, 'a2a.card', {}, opts);
  }

  async call(method: string, params: unknown, opts: AskOptions): Promise<JsonRpcResponse> {
    if (typeof method !== 'string' || method.length === 0)
      throw new InvalidArgument('call needs a method');
    const request = { jsonrpc: '2.0' as const, id: this.nextId++, method, params };
    const r = await this.system.ask(this.endpoint, 'a2a.rpc', { request }, opts);
    if (!r.response) throw new TransportError(`${method} answered with a stream; use stream()`);
    return r.response as unknown as JsonRpcResponse;
  }

  async *stream(
    method: string,
    params: unknown,
    opts: AskOptions,
  ): AsyncGenerator<JsonRpcResponse> {
    const receiver = this.ensureReceiver();
    const stream = randomBytes(8).toString('hex');
    const q: StreamQueue = { events: new Map(), wake: null };
    this.streams.set(stream, q);
    const request = { jsonrpc: '2.0' as const, id: this.nextId++, method, params };
    let total: number | null = null;
    let failure: unknown = null;
    const asked = this.system
      .ask(this.endpoint, 'a2a.rpc', { request, streamTo: { path: receiver.path, stream } }, opts)
      .then(
        (r) => {
          if (r.response) {
            q.events.set(0, r.response);
            total = 1;
          } else total = r.streamed ?? 0;
        },
        (err: unknown) => {
          failure = err;
        },
      )
      .finally(() => q.wake?.());
    try {
      for (let seq = 0; ; seq++) {
        while (!q.events.has(seq)) {
          if (failure) throw failure;
          if (total !== null && seq >= total) return;
          await new Promise<void>((res) => {
            q.wake = res;
          });
          q.wake = null;
        }
        const ev = q.events.get(seq)!;
        q.events.delete(seq);
        yield ev as unknown as JsonRpcResponse;
      }
    } finally {
      this.streams.delete(stream);
      void asked;
    }
  }

  async close(): Promise<void> {
    const r = this.receiver;
    this.receiver = null;
    if (r) await this.system.stop(r).catch(() => {});
  }
}

/** Serve an A2A request handler (e.g. `serveA2A(…).handler`, or `a2aHandler`) over NATS at `name`. */
export function serveA2AOverNats(
  system: ActorSystem,
  handler: A2ARequestHandler,
  name: string,
): A2AEndpointRef {
  return system.spawn(A2AEndpoint, { name, args: { handler } });
}

/**
 * Serve an actor as an A2A agent over NATS only: an endpoint at `name` whose card names the
 * `urn:troupe:a2a:nats` binding and the address `troupe://<system>/<name>`.
 */
export function a2aNatsEndpoint(
  system: ActorSystem,
  target: ServeTarget,
  name: string,
): { ref: A2AEndpointRef; close: () => Promise<void> } {
  const agent = new ServedAgent(system, target);
  agent.start();
  const { handler } = a2aHandler(
    agent,
    `troupe://${system.name}/${name}`,
    undefined,
    A2A_NATS_BINDING,
  );
  const ref = serveA2AOverNats(system, handler, name);
  return {
    ref,
    close: async () => {
      await system.stop(ref).catch(() => {});
      await agent.close();
    },
  };
}
