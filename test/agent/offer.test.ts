/** Action selection: which offered action the agent starts, from the root poll's links. */
import { describe, expect, it } from 'vitest';
import { chooseOffer } from '../../src/agent/offer.js';

const ROOT = 'http://127.0.0.1:1/T/controller/v1/gw';
const here = (finished: string[] = []) => ({
  isFinished: (id: string) => finished.includes(id),
  url: (path: string) => `${ROOT}/${path}`,
});
const link = (path: string) => ({ href: `${ROOT}/${path}` });

describe('chooseOffer', () => {
  it('nothing offered: nothing started', () => {
    expect(chooseOffer({}, here())).toBeUndefined();
    expect(chooseOffer({ systemReport: link('systemReport') }, here())).toBeUndefined();
  });

  it('a SOUP system update first, with its own feedback URL', () => {
    expect(
      chooseOffer(
        { systemUpdate: link('systemUpdate/17?c=1'), deploymentBase: link('deploymentBase/5') },
        here(),
      ),
    ).toEqual({
      kind: 'system',
      actionId: '17',
      href: `${ROOT}/systemUpdate/17?c=1`,
      feedbackUrl: `${ROOT}/systemUpdate/17/feedback`,
    });
  });

  it('a finished system update gives way to a DDI deployment; a finished deployment is not started', () => {
    const links = { systemUpdate: link('systemUpdate/17'), deploymentBase: link('deploymentBase/5') };
    expect(chooseOffer(links, here(['17']))).toEqual({
      kind: 'ddi',
      actionId: '5',
      href: `${ROOT}/deploymentBase/5`,
      feedbackUrl: `${ROOT}/deploymentBase/5/feedback`,
    });
    expect(chooseOffer(links, here(['17', '5']))).toBeUndefined();
    // a finished deployment hides a confirmation for it too
    expect(
      chooseOffer(
        { deploymentBase: link('deploymentBase/5'), confirmationBase: link('confirmationBase/5') },
        here(['5']),
      ),
    ).toBeUndefined();
  });

  it('a confirmation naming an action starts it with the confirmation link; a bare one does not', () => {
    expect(chooseOffer({ confirmationBase: link('confirmationBase/9?c=1') }, here())).toEqual({
      kind: 'ddi',
      actionId: '9',
      href: `${ROOT}/confirmationBase/9?c=1`,
      feedbackUrl: `${ROOT}/deploymentBase/9/feedback`,
      confirmationHref: `${ROOT}/confirmationBase/9?c=1`,
    });
    expect(chooseOffer({ confirmationBase: link('confirmationBase') }, here())).toBeUndefined();
    expect(chooseOffer({ confirmationBase: link('confirmationBase/9') }, here(['9']))).toBeUndefined();
  });
});
