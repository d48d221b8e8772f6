/**
 * Plain hawkBit DDI deployments (no SOUP resources involved): a distribution set assigned to the
 * gateway through the Management API; chunks go to handlers by `part` (config `ddi.parts`). A chunk no
 * module takes is refused for good: `closed` + `failure` with details `rejected: …`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CID, E2e, type Entity, image, sha256 } from './harness.js';

describe('e2e: plain DDI deployments', () => {
  const e = new E2e();
  let config: string;

  beforeAll(async () => {
    await e.start();
    config = e.agentConfig({ ddi: { parts: { firmware: { module: 'gateway' } } } });
    e.startAgent(config);
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  it('a firmware chunk is installed on the module its part maps to', async () => {
    const bytes = image('5.0.0');
    const set = await e.imageSet('os-image', '5.0.0', bytes);
    await e.mgmt.post(`distributionsets/${set}/assignedTargets`, [{ id: CID }]);
    const action = await e.waitForAction((a) => a.kind === 'deployment' && a.status !== 'open');
    expect(action.result).toBe('success');
    expect(sha256(e.installed())).toBe(sha256(bytes));
    expect(action.feedback.at(-1)?.status).toMatchObject({
      execution: 'closed',
      result: { finished: 'success' },
    });
    expect(action.feedback.some((f) => f.status?.execution === 'downloaded')).toBe(true);
  }, 90_000);

  it('a chunk whose part no module takes is refused: closed/failure with "rejected: <reason>"', async () => {
    const before = sha256(e.installed());
    const [sm] = await e.mgmt.post<Entity[]>('softwaremodules', [
      { name: 'app', version: '1.0.0', type: 'application', vendor: 'E2E' },
    ]);
    const [ds] = await e.mgmt.post<Entity[]>('distributionsets', [
      { name: 'app-set', version: '1.0.0', type: 'firmware', modules: [{ id: sm!.id }] },
    ]);
    await e.mgmt.post(`distributionsets/${ds!.id}/assignedTargets`, [{ id: CID }]);
    const action = await e.waitForAction(
      (a) => a.kind === 'deployment' && a.status !== 'open' && a.result === 'failure',
    );
    const last = action.feedback.at(-1);
    expect(last?.status?.execution).toBe('closed');
    expect(last?.status?.details).toEqual([
      'rejected: chunk application: no module configured for this part (ddi.parts)',
    ]);
    expect(sha256(e.installed())).toBe(before);
  }, 90_000);
});
