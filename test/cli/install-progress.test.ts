import { describe, expect, it } from 'vitest';
import { ProgressPrinter, type ProgressView } from '../../src/cli/install-progress.js';

const view = (phase: string, cnt: number, moduleCnt = 0): ProgressView => ({
  actionId: '17',
  phase,
  progress: { cnt, of: 11 },
  modules: [
    {
      name: 'gateway',
      state: phase === 'transferring' ? 'transferring' : 'pending',
      progress: { cnt: moduleCnt, of: 1000 },
    },
  ],
});

describe('install progress', () => {
  it('without a terminal: one plain line per phase, and the consent hint once', () => {
    const out: string[] = [];
    const p = new ProgressPrinter({ write: (t) => out.push(t) }, false);
    for (const v of [
      view('matching', 3),
      view('waiting-consent', 4),
      view('waiting-consent', 4),
      view('transferring', 7, 10),
      view('transferring', 7, 900),
    ])
      p.show(v);
    p.done();
    expect(out).toEqual([
      'action 17: matching (3/11)\n',
      'action 17 waits for consent: soup-agent consent accept|deny\n',
      'action 17: waiting-consent (4/11)\n',
      'action 17: transferring (7/11)\n',
    ]);
  });

  it('on a terminal: one line redrawn in place with the module being written, ended by done()', () => {
    const out: string[] = [];
    const p = new ProgressPrinter({ write: (t) => out.push(t) }, true);
    p.show(view('transferring', 7, 500));
    p.show(view('transferring', 7, 1000));
    p.done();
    expect(out[0]).toMatch(/^\r\[#{13}\.{7}\] 7\/11 transferring {2}gateway \[#{6}\.{6}\] 50%/);
    expect(out[1]).toMatch(/gateway \[#{12}\] 100%/);
    expect(out[2]).toBe('\n');
  });
});
