/** A link that never opened: a refused or failed accept, or a failed dial. Data for the actor. */
export class LinkFailure {
  constructor(
    readonly direction: 'in' | 'out',
    /** The peer's address (in), or the endpoint dialed (out). */
    readonly remote: string,
    /** The site a dial meant to reach; null for an accept. */
    readonly site: string | null,
    readonly error: Error,
  ) {}
}
