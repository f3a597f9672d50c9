import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  type ActorRef,
  type AskContext,
  InvalidArgument,
  type Protocol,
  parseRef,
  Rejected,
} from '../../runtime/index.ts';
import { type Board, type BoardEntry, RevisionConflictError } from '../board/index.ts';
import { NoPeerError } from './errors.ts';
import { callMember, type StepPolicy, StepPolicySchema } from './member.ts';
import { definePattern, type PatternDef, parseOption } from './pattern-actor.ts';
import { TokenName } from './pattern-options.ts';

/** A peer's capability card, as it publishes it into the shared registry. */
export const CapabilityCard = z
  .object({
    name: TokenName,
    ref: z.object({ system: z.string(), path: z.string() }),
    capabilities: z.array(z.string().min(1)).min(1),
    /** The bid used when the peer does not answer `bid` itself (lower wins). */
    cost: z.number().nonnegative().optional(),
  })
  .strict();
export type CapabilityCard = z.infer<typeof CapabilityCard>;

/** The optional ask a peer answers to bid: a price (lower wins) or null to decline. */
export const BidAsk = {
  request: z.object({ capability: z.string(), input: z.unknown() }),
  reply: z.object({ price: z.number().nonnegative().nullable() }),
};
export type BidProtocol = Protocol<Record<never, never>, { bid: typeof BidAsk }>;

/** What a peer network runs: the capability wanted and the task's input. */
export const PeerTask = z.object({ capability: z.string().min(1), input: z.unknown() }).strict();

const CARDS = 'cards.';
const TASKS = 'tasks.';

/** Publish (or refresh) a peer's card in the registry; any node sharing the board sees it. */
export async function publishCard(registry: Board, card: CapabilityCard): Promise<void> {
  const c = parseOption(CapabilityCard, card, 'capability card');
  parseRef(c.ref);
  await registry.put(`${CARDS}${c.name}`, c);
}

/** Take a peer's card out of the registry (it stops taking tasks). */
export async function withdrawCard(registry: Board, name: string): Promise<void> {
  await registry.delete(`${CARDS}${name}`);
}

export interface PeerNetworkOptions {
  /** The shared registry of cards and task records (natsBoard across nodes, memoryBoard in one). */
  readonly registry: Board;
  /** How long peers have to bid (default 1000 ms). */
  readonly bidTimeoutMs?: number;
  /** How long the awarded peer has to finish before the task is re-awarded (default: the run's deadline). */
  readonly awardTimeoutMs?: number;
  /** Most awards of one task, the first included (default 3). */
  readonly maxAwards?: number;
  readonly type?: string;
}

const Options = z
  .object({
    registry: z.custom<Board>(
      (b) => typeof b === 'object' && b !== null && typeof (b as Board).update === 'function',
      'a Board',
    ),
    bidTimeoutMs: z.number().int().positive().max(600_000).optional(),
    awardTimeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
    maxAwards: z.number().int().min(1).max(100).optional(),
    type: z.string().optional(),
  })
  .strict();

interface Bid {
  readonly card: CapabilityCard;
  readonly price: number;
}

async function collectBids(
  ctx: AskContext<unknown>,
  cards: readonly CapabilityCard[],
  capability: string,
  input: unknown,
  timeout: number,
): Promise<Bid[]> {
  const answers = await Promise.all(
    cards.map(async (card): Promise<Bid | null> => {
      try {
        const r = await ctx.ask(
          card.ref as ActorRef<BidProtocol>,
          'bid',
          { capability, input },
          { timeout },
        );
        return r.price === null ? null : { card, price: r.price };
      } catch (err) {
        // A peer that does not bid itself bids its card's cost; a silent or dead one not at all.
        return err instanceof Rejected ? { card, price: card.cost ?? 0 } : null;
      }
    }),
  );
  return answers
    .filter((b): b is Bid => b !== null)
    .sort((a, b) => a.price - b.price || a.card.name.localeCompare(b.card.name));
}

/**
 * Contract net over a shared registry: peers publish capability cards; a task is announced
 * (a record on the board), matching peers bid, the lowest bid is awarded (recorded by CAS on the
 * task's revision), and when the winner dies or times out the task is re-awarded to the next
 * bidder. AutoGen Swarm / Core pub-sub, LangGraph swarm, CrewAI delegation.
 */
export function peerNetwork(options: PeerNetworkOptions): PatternDef {
  const o = parseOption(Options, options, 'peerNetwork options');
  const registry = options.registry;
  const maxAwards = o.maxAwards ?? 3;
  const bidTimeout = o.bidTimeoutMs ?? 1_000;
  return definePattern({
    type: o.type ?? 'peer-network',
    members: {},
    async logic(p, raw) {
      const t = PeerTask.safeParse(raw);
      if (!t.success) {
        throw new InvalidArgument(
          `${p.pattern}: a task is { capability, input } (${t.error.issues[0]!.message})`,
        );
      }
      const { capability, input } = t.data;
      const id = randomBytes(8).toString('hex');
      const key = `${TASKS}${id}`;
      let rev = await registry.create(key, { status: 'announced', capability, at: Date.now() });
      const record = async (value: Record<string, unknown>): Promise<void> => {
        try {
          rev = await registry.update(key, { capability, ...value }, rev);
        } catch (err) {
          // Only this run writes its task record: a conflict means someone else tampered with it.
          if (err instanceof RevisionConflictError)
            throw new NoPeerError(`${p.pattern}: task ${id} was changed by someone else`, {
              cause: err,
            });
          throw err;
        }
      };
      const cards = (await registry.list<unknown>(CARDS))
        .map((e: BoardEntry<unknown>) => CapabilityCard.safeParse(e.value))
        .filter((r) => r.success && r.data.capabilities.includes(capability))
        .map((r) => r.data!);
      p.decide('team.announce', { task: id, capability, peers: cards.map((c) => c.name) });
      const bids = await collectBids(p.ctx, cards, capability, input, bidTimeout);
      p.decide('team.bids', {
        task: id,
        bids: bids.map((b) => ({ peer: b.card.name, price: b.price })),
      });
      const tried: string[] = [];
      for (const bid of bids.slice(0, maxAwards)) {
        await record({
          status: 'awarded',
          to: bid.card.name,
          price: bid.price,
          round: tried.length + 1,
        });
        p.decide('team.award', {
          task: id,
          peer: bid.card.name,
          price: bid.price,
          round: tried.length + 1,
        });
        try {
          const policy: StepPolicy =
            o.awardTimeoutMs === undefined ? {} : { timeoutMs: o.awardTimeoutMs };
          const out = await callMember(
            p.ctx,
            bid.card.ref,
            bid.card.name,
            input,
            parseOption(StepPolicySchema, policy, 'award'),
            p.pattern,
          );
          await record({ status: 'done', by: bid.card.name });
          return out;
        } catch (err) {
          tried.push(bid.card.name);
          p.decide('team.reaward', {
            task: id,
            failed: bid.card.name,
            error: err instanceof Error ? err.message : String(err),
          });
          if (p.ctx.deadline !== 0 && Date.now() >= p.ctx.deadline) throw err;
        }
      }
      await record({ status: 'failed', tried });
      throw new NoPeerError(
        bids.length === 0
          ? `${p.pattern}: no peer bid for ${capability} (${cards.length} cards)`
          : `${p.pattern}: every awarded peer failed ${capability} (${tried.join(', ')})`,
      );
    },
  });
}
