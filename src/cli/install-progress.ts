/**
 * What `install BUNDLE` shows while the action runs: on a terminal one line redrawn in place (a bar of
 * the update's steps and the module being written), otherwise one plain line per phase change.
 */
import type { Progress } from '../recipe/status.js';

export interface ProgressView {
  actionId: string;
  phase: string;
  progress: Progress;
  modules: { name: string; state: string; progress: Progress }[];
}

function bar(p: Progress, width = 20): string {
  const filled = p.of === 0 ? 0 : Math.min(width, Math.round((p.cnt / p.of) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export class ProgressPrinter {
  private lastPhase = '';
  private drawn = false;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly tty: boolean,
  ) {}

  show(view: ProgressView): void {
    if (view.phase === 'waiting-consent' && this.lastPhase !== view.phase) {
      this.done();
      this.out.write(`action ${view.actionId} waits for consent: soup-agent consent accept|deny\n`);
    }
    if (this.tty) {
      this.lastPhase = view.phase;
      const moving = view.modules.find((m) => m.state === 'transferring' && m.progress.of > 0);
      const module =
        moving === undefined
          ? ''
          : `  ${moving.name} ${bar(moving.progress, 12)} ${Math.round((moving.progress.cnt / moving.progress.of) * 100)}%`;
      const line = `${bar(view.progress)} ${view.progress.cnt}/${view.progress.of} ${view.phase}${module}`;
      this.out.write(`\r${line.padEnd(78).slice(0, 100)}`);
      this.drawn = true;
      return;
    }
    if (view.phase !== this.lastPhase) {
      this.lastPhase = view.phase;
      this.out.write(`action ${view.actionId}: ${view.phase} (${view.progress.cnt}/${view.progress.of})\n`);
    }
  }

  /** Ends the redrawn line before anything else is printed. */
  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
