// The unified diffs the console writes for `helm upgrade`'s manifest changes, as lines a view
// can colour. Only the diff's own syntax is read (its first character); what changed, and
// whether it matters, is the console's to say.

export type DiffLineKind = 'header' | 'hunk' | 'added' | 'removed' | 'context' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/**
 * `--- now` / `+++ after` before the first hunk are the header; then `@@` starts a hunk,
 * `+` and `-` are the after and now sides, a space is context, anything else (`\ No newline
 * at end of file`, a "not shown line by line" note) is a note.
 */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let inHunk = false;
  return lines.map((text) => {
    if (text.startsWith('@@')) {
      inHunk = true;
      return { kind: 'hunk', text };
    }
    if (!inHunk && (text.startsWith('--- ') || text.startsWith('+++ ') || text === '---' || text === '+++')) {
      return { kind: 'header', text };
    }
    if (inHunk && text.startsWith('+')) return { kind: 'added', text };
    if (inHunk && text.startsWith('-')) return { kind: 'removed', text };
    if (inHunk && (text.startsWith(' ') || text === '')) return { kind: 'context', text };
    return { kind: 'note', text };
  });
}
