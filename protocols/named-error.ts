/**
 * The base of every troupe error: `name` is the concrete class's own name (so a subclass needs
 * no `name` line of its own), and `ErrorOptions` pass through so `cause` is kept. Errors that
 * cross an ask extend runtime's `TroupeError`, which adds a stable wire `code` on top of this.
 */
export class NamedError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
