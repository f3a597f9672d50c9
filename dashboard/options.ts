import { z } from 'zod';

/** A host the dashboard may serve without a token: only this machine can reach it. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}

export const DashboardOptionsSchema = z
  .object({
    /** Interface to bind; anything but loopback needs a token (one is generated if not given). */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).default(7480),
    /** Bearer token for the page and its stream (`?token=` or `Authorization: Bearer`). */
    token: z.string().min(16, 'a token of at least 16 characters').optional(),
    /** How often every node is asked for its rows (ms). */
    pollMs: z.number().int().min(100).max(60_000).default(1000),
    /** How many seconds the plots cover. */
    windowS: z.number().int().min(10).max(3600).default(300),
    /** The mesh bridge's actor path on this site. */
    bridge: z.string().min(1).default('mesh-bridge'),
    /** Show this node's own actors (false for the CLI's short-lived client node). */
    includeSelf: z.boolean().default(true),
  })
  .strict();

export type DashboardOptions = z.input<typeof DashboardOptionsSchema>;
export type ResolvedDashboardOptions = z.output<typeof DashboardOptionsSchema>;
