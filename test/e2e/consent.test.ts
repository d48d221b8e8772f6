/**
 * Consent and cancel end to end: the server asks for consent (`handling.update = attempt`), the
 * installer answers with `soup-agent consent` while the daemon runs; a denial rejects the action, a
 * later accept lets it proceed; a recipe revoked while the agent waits is cancelled through DDI's
 * cancel protocol, nothing installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionView, cli, E2e, image, sha256 } from './harness.js';

describe('e2e: consent and cancel', () => {
  const e = new E2e();
  let config: string;
  const seen = new Set<string>();
  const fresh = (a: ActionView) => !seen.has(String(a.id));
  const remember = async () => {
    for (const a of await e.actions()) seen.add(String(a.id));
  };

  async function waitingForConsent(): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = e.status(config) as { update: { phase: string } | null; pendingConsent: unknown };
      if (s.update?.phase === 'waiting-consent' && s.pendingConsent !== null) return s;
      if (Date.now() > deadline) throw new Error(`the agent never asked for consent (logs: ${e.logs})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    await e.start();
    await e.mgmt.put('tenant/configs/soup.action.handling', {
      value: { download: 'forced', update: 'attempt' },
    });
    config = e.agentConfig({ consent: 'whenAsked' });
    e.startAgent(config);
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  it('consent denied with `soup-agent consent deny`: rejected, nothing installed', async () => {
    await remember();
    await e.release({ version: '2.0.0', image: image('2.0.0') });
    const s = await waitingForConsent();
    expect(s).toMatchObject({ pendingConsent: { actionId: expect.any(String) } });
    const answer = cli(['consent', 'deny', '-c', config]);
    expect(answer.status).toBe(0);
    const action = await e.waitForAction((a) => fresh(a) && a.status !== 'open');
    expect(action.result).toBe('failure');
    const last = action.feedback.at(-1);
    expect(last?.status?.execution).toBe('rejected');
    expect(last?.status?.details?.[0]).toMatch(/^consent denied by .+/);
    expect(e.installed().toString()).toBe('factory image');
    expect(cli(['consent', 'accept', '-c', config]).status).toBe(1);
  }, 90_000);

  it('consent given later: the update proceeds to success', async () => {
    await remember();
    const bytes = image('3.0.0');
    await e.release({ version: '3.0.0', image: bytes });
    await waitingForConsent();
    // still waiting two polls later, nothing installed yet
    await e.waitForPolls(2);
    expect((e.status(config) as { update: { phase: string } }).update.phase).toBe('waiting-consent');
    expect(e.installed().toString()).toBe('factory image');
    expect(cli(['consent', 'accept', '-c', config]).status).toBe(0);
    const action = await e.waitForAction((a) => fresh(a) && a.status !== 'open');
    expect(action.result).toBe('success');
    expect(sha256(e.installed())).toBe(sha256(bytes));
  }, 90_000);

  it('a recipe revoked while the agent waits is cancelled: the agent confirms, nothing installed', async () => {
    await remember();
    const before = sha256(e.installed());
    const id = await e.release({ version: '4.0.0', image: image('4.0.0') });
    await waitingForConsent();
    await e.mgmt.post(`recipes/${id}/revoke`);
    const action = await e.waitForAction((a) => fresh(a) && a.status !== 'open');
    expect(action.status).toBe('canceled');
    expect(sha256(e.installed())).toBe(before);
    const deadline = Date.now() + 20_000;
    let s = e.status(config) as {
      update: unknown;
      lastResult: { finished: string } | null;
      pendingConsent: unknown;
    };
    while (s.update !== null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      s = e.status(config) as typeof s;
    }
    expect(s).toMatchObject({ update: null, pendingConsent: null, lastResult: { finished: 'canceled' } });
  }, 90_000);
});
