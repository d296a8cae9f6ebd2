import { describe, expect, it } from 'vitest';
import { Terminal } from '../../../../localstack/demo/terminal.ts';

function capture(isTTY: boolean): { out: { isTTY: boolean; write(text: string): void }; text: () => string } {
  const chunks: string[] = [];
  return { out: { isTTY, write: (text) => chunks.push(text) }, text: () => chunks.join('') };
}

describe('the demo terminal', () => {
  it('on a terminal, rewrites the progress line in place and clears it before a statement', () => {
    // Prepare
    const { out, text } = capture(true);
    const term = new Terminal(out);

    // Act
    term.progress('records 1/3');
    term.progress('records 2/3');
    term.say('Wave 2: putting 10 events');

    // Assess: the statement starts on a cleared line, never glued to the progress
    expect(text()).toBe('\r\x1b[2K  records 1/3\r\x1b[2K  records 2/3\r\x1b[2KWave 2: putting 10 events\n');
  });

  it('off a terminal, prints the progress as a line at most once per interval', () => {
    // Prepare
    const { out, text } = capture(false);
    let now = 0;
    const term = new Terminal(out, { intervalMs: 1_000, now: () => now });

    // Act
    term.progress('a');
    now = 400;
    term.progress('b');
    now = 1_000;
    term.progress('c');
    term.say('done');
    now = 1_999;
    term.progress('d');
    now = 2_000;
    term.progress('e');

    // Assess
    expect(text()).toBe('  a\n  c\ndone\n  e\n');
    expect(term.tty).toBe(false);
  });
});
