/**
 * What the agent knows about the action in progress, persisted with the machine state (store.ts,
 * `current_action.context`). Everything the update runner needs after a restart is here or in files under
 * `<dataDir>/actions/<actionId>/`; nothing lives only in memory.
 */
import { SoupError } from '../lib/errors.js';
import type { ModuleState, Progress } from '../recipe/status.js';

/** The layout of `ActionContext` this agent writes (`version`); older layouts are upgraded on load. */
export const CONTEXT_VERSION = 1;

type StoredContext = Record<string, unknown>;

/**
 * Upgrades, in order: entry `n` turns a context of version `n` into version `n + 1`. A change to
 * `ActionContext` that a persisted action must survive (the agent updates itself mid-update) adds one.
 */
const CONTEXT_UPGRADES: readonly ((ctx: StoredContext) => StoredContext)[] = [
  // 0 → 1: the first layout had no `version` field; nothing else differs
  (ctx) => ({ ...ctx }),
];

export interface ArtifactRef {
  id: string;
  filename: string;
  /** Software module type key (firmware, preinstall, releasenotes…). */
  type: string;
  size: number;
  sha256: string;
  /** Where it is downloaded from. */
  url: string;
  /** Where it lives once downloaded and checked. */
  path: string;
}

export interface PlannedModule {
  /** Module id from the system report. */
  id: string;
  /** Configured name. */
  name: string;
  /** What the module reported about itself when the plan was made (handlers read e.g. `smpMode`). */
  attributes?: Record<string, string>;
  /** Module update definition (recipe `_module.name`) or DDI chunk part. */
  definition: string;
  action: 'update' | 'skip';
  /** Handler key (image type); set for `update`. */
  handler?: string;
  image?: ArtifactRef;
  /** Every artifact of the image's distribution set (the image included). */
  artifacts: ArtifactRef[];
  fromVersion?: string;
  toVersion?: string;
  revertible: boolean;
  /** Modules on the same bus transfer one at a time. */
  bus: string;
  state: ModuleState;
  progress?: Progress;
  details: string[];
}

export interface ActionContext {
  /** The context's layout (`CONTEXT_VERSION` when written by this agent). */
  version: number;
  /** `system`: SOUP system update; `ddi`: plain hawkBit deployment. */
  kind: 'system' | 'ddi';
  actionId: string;
  /** systemUpdate/{id} or deploymentBase/{id}. */
  href: string;
  feedbackUrl: string;
  recipe?: { id: string; name: string; version: string };
  handling: { download: string; update: string };
  maintenanceWindow?: { nextStartAt?: number; durationMs?: number; available?: boolean };
  /** DDI confirmationBase link when the server asks for the user's confirmation. */
  confirmationHref?: string;
  modules: PlannedModule[];
  /** preinstall / postinstall / shellscript artifacts. */
  scripts: ArtifactRef[];
  /** releasenotes / license artifacts offered with the consent request. */
  offers: ArtifactRef[];
  consent?: { decision: 'accept' | 'deny'; by: string };
  /** Installing from an offline bundle (`soup-agent install`): where it was unpacked. */
  offline?: { bundleDir: string };
  /** cancelAction link, once the server asked to cancel. */
  cancelHref?: string;
  startedAt: number;
}

export function newContext(
  kind: ActionContext['kind'],
  actionId: string,
  href: string,
  feedbackUrl: string,
  now: number,
): ActionContext {
  return {
    version: CONTEXT_VERSION,
    kind,
    actionId,
    href,
    feedbackUrl,
    handling: { download: 'forced', update: 'forced' },
    modules: [],
    scripts: [],
    offers: [],
    startedAt: now,
  };
}

/**
 * A persisted context in this agent's layout: older versions are upgraded step by step; a newer one (an
 * agent downgraded mid-update) is refused, since its fields cannot be trusted to mean what they did.
 */
export function upgradeContext(stored: unknown): ActionContext {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    throw new SoupError('SOUP_E_STATE', 'state: the action context is not an object');
  let ctx = stored as StoredContext;
  const from = ctx.version === undefined ? 0 : ctx.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0)
    throw new SoupError('SOUP_E_STATE', `state: action context version ${JSON.stringify(from)} is invalid`);
  if (from > CONTEXT_VERSION)
    throw new SoupError(
      'SOUP_E_STATE',
      `state: action context version ${from} is newer than this agent knows (${CONTEXT_VERSION})`,
    );
  for (let v = from; v < CONTEXT_VERSION; v++) {
    const upgrade = CONTEXT_UPGRADES[v];
    if (upgrade === undefined)
      throw new SoupError('SOUP_E_STATE', `state: no upgrade from context version ${v}`);
    ctx = { ...upgrade(ctx), version: v + 1 };
  }
  return ctx as unknown as ActionContext;
}

/** Modules that get an image, in plan order. */
export function updating(ctx: ActionContext): PlannedModule[] {
  return ctx.modules.filter((m) => m.action === 'update');
}
