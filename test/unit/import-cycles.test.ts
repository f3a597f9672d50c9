// The shape of the source tree: no import cycle, and dependencies point only down the layers
// that DESIGN.md names (protocols ← runtime ← actors ← deploy).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const LAYERS = ['protocols', 'runtime', 'actors', 'deploy'] as const;

interface Edge {
  to: string;
  /** False for `import type` / `export type`: erased at compile time, so no runtime edge. */
  value: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The relative imports of one file. A declaration-level `import type` or `export type` is erased
 * by the compiler and does not load the module; anything else does (under verbatimModuleSyntax
 * even `import { type A } from './a.ts'` stays as `import {} from './a.ts'`).
 */
function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const add = (spec: ts.Node | undefined, value: boolean): void => {
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
    edges.push({ to: relative(ROOT, resolve(dirname(file), spec.text)), value });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, !node.importClause?.isTypeOnly);
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, !node.isTypeOnly);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1
    )
      add(node.arguments[0], true);
    ts.forEachChild(node, visit);
  };
  visit(src);
  return edges;
}

function buildGraph(): Map<string, Edge[]> {
  // dashboard/ sits beside the layers (deploy starts it); a cycle could pass through it.
  const folders = [...LAYERS, 'dashboard'];
  const files = [join(ROOT, 'index.ts'), ...folders.flatMap((l) => sourceFiles(join(ROOT, l)))];
  return new Map(files.map((f) => [relative(ROOT, f), edgesOf(f)]));
}

/** Every strongly connected component with more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative so a deep import chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; i: number }> = [{ node: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = graph.get(frame.node) ?? [];
      if (frame.i < succ.length) {
        const w = succ[frame.i++]!;
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.node);
        if (component.length > 1 || succ.includes(frame.node)) found.push(component.sort());
      }
    }
  }
  return found;
}

/** One concrete loop inside a component, for a readable failure message. */
function loopIn(component: string[], graph: Map<string, string[]>): string {
  const members = new Set(component);
  const start = component[0]!;
  const path = [start];
  const seen = new Set([start]);
  let at = start;
  for (;;) {
    const nextHop = (graph.get(at) ?? []).find((w) => members.has(w))!;
    if (seen.has(nextHop)) {
      return [...path.slice(path.indexOf(nextHop)), nextHop].join(' → ');
    }
    path.push(nextHop);
    seen.add(nextHop);
    at = nextHop;
  }
}

const layerOf = (file: string): number => LAYERS.indexOf(file.split('/')[0] as never);

describe('the import graph', () => {
  const graph = buildGraph();

  it('reads the whole tree and resolves every relative import to a file', () => {
    expect(graph.size).toBeGreaterThan(100);
    const missing = [...graph].flatMap(([from, edges]) =>
      edges.filter((e) => !graph.has(e.to)).map((e) => `${from} → ${e.to}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no cycle of value imports', () => {
    // Only value imports: a type-only edge is erased and cannot make modules wait on each other.
    const runtime = new Map(
      [...graph].map(([f, edges]) => [f, edges.filter((e) => e.value).map((e) => e.to)]),
    );
    const loops = cycles(runtime).map((c) => `${c.length} files: ${loopIn(c, runtime)}`);
    expect(loops).toEqual([]);
  });

  it('finds a planted cycle (the detector itself works)', () => {
    const planted = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    const found = cycles(planted);
    expect(found).toEqual(expect.arrayContaining([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]));
    expect(found).toHaveLength(2);
    expect(loopIn(['a.ts', 'b.ts', 'c.ts'], planted)).toBe('a.ts → b.ts → c.ts → a.ts');
  });

  it('points every dependency down the layers: protocols ← runtime ← actors ← deploy', () => {
    // Type imports count here: a layer must not even know the shapes of the layers above it.
    const upward = [...graph].flatMap(([from, edges]) => {
      const own = layerOf(from);
      if (own < 0) return [];
      return edges.filter((e) => layerOf(e.to) > own).map((e) => `${from} → ${e.to}`);
    });
    expect(upward).toEqual([]);
  });
});

// The kernel's size limits (issue 9): a small facade, no file too large to read, no casts
// through unknown to reach a service.
describe('the kernel (runtime/)', () => {
  const files = sourceFiles(join(ROOT, 'runtime'));
  const lines = (f: string) => readFileSync(f, 'utf8').split('\n').length;

  it('keeps system.ts a facade of at most 300 lines and every file under 500', () => {
    expect(lines(join(ROOT, 'runtime/system.ts'))).toBeLessThanOrEqual(300);
    const large = files.filter((f) => lines(f) > 500).map((f) => relative(ROOT, f));
    expect(large).toEqual([]);
  });

  it('has no `as unknown as` cast', () => {
    const casts = files.filter((f) => readFileSync(f, 'utf8').includes('as unknown as'));
    expect(casts.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
