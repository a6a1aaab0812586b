import { describe, expect, it } from 'vitest';
import { parseInline, parseReleaseNotes } from './release-notes';

const NOTES = `## tbyte: staging → production (aaa1111 → bbb2222)

### Pull requests
- Add retries ([#42](https://github.com/acme/app/pull/42))

### Commits
- \`bbb2222\` Add retries (@bob)
- \`bbb2221\` <img src=x onerror=alert(1)> (@mallory)

Nothing else.
`;

describe('release notes', () => {
  it('reads headings, lists, code and links', () => {
    const blocks = parseReleaseNotes(NOTES);
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'heading', 'list', 'heading', 'list', 'paragraph']);
    expect(blocks[0]).toEqual({
      kind: 'heading',
      level: 2,
      content: [{ kind: 'text', text: 'tbyte: staging → production (aaa1111 → bbb2222)' }],
    });
    expect(blocks[2]).toEqual({
      kind: 'list',
      items: [
        [
          { kind: 'text', text: 'Add retries (' },
          { kind: 'link', text: '#42', url: 'https://github.com/acme/app/pull/42' },
          { kind: 'text', text: ')' },
        ],
      ],
    });
    const commits = blocks[4];
    expect(commits?.kind === 'list' && commits.items[1]).toEqual([
      { kind: 'code', text: 'bbb2221' },
      // Markup stays text: it is never rendered as HTML.
      { kind: 'text', text: ' <img src=x onerror=alert(1)> (@mallory)' },
    ]);
  });

  it('keeps links to http(s) only', () => {
    expect(parseInline('[x](javascript:alert(1))')).toEqual([{ kind: 'text', text: '[x](javascript:alert(1))' }]);
    expect(parseInline('**bold**')).toEqual([{ kind: 'strong', text: 'bold' }]);
  });
});
