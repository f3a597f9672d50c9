/** Past this many routes a table starts over (see RouteTable.add). */
const MAX_ROUTES = 65_536;

/**
 * One side of the bridge's reply routing: a key → route id, and the route id → what it stands
 * for. Bounded: ids are handed out on demand, so a table that fills up is churn and starts over.
 */
export class RouteTable<V> {
  readonly #ids = new Map<string, number>();
  readonly #values = new Map<number, V>();
  readonly #nextId: () => number;

  /** `nextId` is shared by the tables of one ReplyRoutes, so an id names one route only. */
  constructor(nextId: () => number) {
    this.#nextId = nextId;
  }

  /** The route id of `key`, if it has one. */
  idOf(key: string): number | undefined {
    return this.#ids.get(key);
  }

  /** What route `id` stands for. */
  get(id: number): V | undefined {
    return this.#values.get(id);
  }

  /** A new route id for `key`, standing for `value`. */
  add(key: string, value: V): number {
    if (this.#ids.size >= MAX_ROUTES) {
      // Routes are one per node inbox: this many is churn. Start over; in-flight asks time out.
      this.#ids.clear();
      this.#values.clear();
    }
    const id = this.#nextId();
    this.#ids.set(key, id);
    this.#values.set(id, value);
    return id;
  }
}
