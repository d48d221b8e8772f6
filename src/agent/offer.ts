/**
 * Action selection: which action the server offers in its root poll the agent starts. A SOUP
 * `systemUpdate` first; else a plain DDI `deploymentBase`; else a DDI `confirmationBase` naming an action
 * (the user's confirmation is asked as consent). An action already finished here is never started again.
 */
import { idOfLink, type Link } from './install-api.js';

export interface Offer {
  kind: 'system' | 'ddi';
  actionId: string;
  href: string;
  feedbackUrl: string;
  /** DDI: the confirmation link, when the server waits for the user's confirmation. */
  confirmationHref?: string;
}

export interface OfferContext {
  /** Whether the action already ended on this gateway. */
  isFinished(actionId: string): boolean;
  /** An Install API URL for a path under the controller. */
  url(path: string): string;
}

export function chooseOffer(links: Record<string, Link | undefined>, here: OfferContext): Offer | undefined {
  const system = links.systemUpdate;
  if (system !== undefined) {
    const id = idOfLink(system);
    if (!here.isFinished(id))
      return {
        kind: 'system',
        actionId: id,
        href: system.href,
        feedbackUrl: here.url(`systemUpdate/${encodeURIComponent(id)}/feedback`),
      };
  }
  const deployment = links.deploymentBase;
  if (deployment !== undefined) {
    const id = idOfLink(deployment);
    if (here.isFinished(id)) return undefined;
    return {
      kind: 'ddi',
      actionId: id,
      href: deployment.href,
      feedbackUrl: here.url(`deploymentBase/${encodeURIComponent(id)}/feedback`),
    };
  }
  const confirmation = links.confirmationBase;
  if (confirmation !== undefined) {
    const id = idOfLink(confirmation);
    if (!here.isFinished(id) && /\/confirmationBase\/[^/?]+/.test(confirmation.href))
      return {
        kind: 'ddi',
        actionId: id,
        href: confirmation.href,
        feedbackUrl: here.url(`deploymentBase/${encodeURIComponent(id)}/feedback`),
        confirmationHref: confirmation.href,
      };
  }
  return undefined;
}
