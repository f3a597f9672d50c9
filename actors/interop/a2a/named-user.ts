import type { User } from '@a2a-js/sdk/server';

/**
 * The caller as the SDK's request handler sees it: already authenticated by the binding that
 * took the request (a bearer token or API key over HTTP, the sender's path over NATS).
 */
export class NamedUser implements User {
  constructor(private readonly name: string) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.name;
  }
}
