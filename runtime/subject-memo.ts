/**
 * Subjects built once per (system, name) and then looked up: the same few targets are sent
 * to over and over. Bounded: past `max` entries the map is cleared, so a process that talks
 * to millions of names just recomputes.
 */
export class SubjectMemo {
  private readonly subjects = new Map<string, string>();

  constructor(
    private readonly build: (system: string, name: string) => string,
    private readonly max: number,
  ) {}

  get(system: string, name: string): string {
    const key = `${system} ${name}`;
    let s = this.subjects.get(key);
    if (s === undefined) {
      s = this.build(system, name);
      if (this.subjects.size > this.max) this.subjects.clear();
      this.subjects.set(key, s);
    }
    return s;
  }
}
