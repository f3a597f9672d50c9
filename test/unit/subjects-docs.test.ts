import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { subjectTableMarkdown } from '../../protocols/subjects/index.ts';

const BEGIN = '<!-- subjects:begin (generated from protocols/subjects/table.ts; keep in step) -->';
const END = '<!-- subjects:end -->';

/** The subject table docs/architecture.md carries between its markers. */
function documentedTable(): string {
  const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  expect(from, `docs/architecture.md has no "${BEGIN}" marker`).toBeGreaterThanOrEqual(0);
  expect(to, `docs/architecture.md has no "${END}" marker after the first`).toBeGreaterThan(from);
  return doc.slice(from + BEGIN.length, to).trim();
}

describe('the docs’ subject table', () => {
  it('is the module’s table: paste subjectTableMarkdown() between the markers when it changes', () => {
    expect(documentedTable()).toBe(subjectTableMarkdown());
  });
});
