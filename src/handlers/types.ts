/**
 * The handler lifecycle. A handler installs one image on one module; the engine (src/agent) drives it:
 *
 *   prepare → transfer → activate → verify → (commit | revert)
 *
 * - The engine downloads and hash-checks every artifact before a handler sees it: handlers read verified
 *   local files (`ImageFile.path`) and never re-implement hashing of the download.
 * - `transfer` resumes: from the module's own acknowledged offset (SMP), or from what the handler saved
 *   with `ctx.checkpoint` (UDS), or from scratch when neither applies. It consumes the whole image or throws.
 * - Every method is idempotent when repeated after a crash at the same step.
 * - Revertible modules (SMP test/confirm, local files) are transferred/activated/verified first; the
 *   non-revertible ones (single-bank UDS, raw, MCUboot serial recovery) after that, from which point the
 *   update rolls forward.
 * - Errors are SoupError with a stable code; `retryable` says whether the engine may try the step again.
 */
import type { Logger } from 'pino';
import type { ModuleConfig } from '../inventory/module-config.js';
import type { Clock } from '../lib/clock.js';
import type { LinkProvider } from '../protocols/buses/types.js';

export interface TargetModule {
  /** The module's id from the system report. */
  id: string;
  name: string;
  attributes: Record<string, string>;
  config: ModuleConfig;
}

/** A downloaded, size- and SHA-256-checked file. */
export interface ImageFile {
  path: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface HandlerJob {
  actionId: string;
  module: TargetModule;
  /** The image this module gets (recipe `images[].filename`). */
  image: ImageFile;
  /** The target version (recipe `images[].version`). */
  version: string;
  /** Every artifact of the image's distribution set, the image included. */
  artifacts: ImageFile[];
  fromVersion?: string;
}

export interface HandlerContext {
  log: Logger;
  /** Aborted on cancel or shutdown: stop at the next safe point and throw SOUP_E_CANCELLED. */
  signal: AbortSignal;
  clock: Clock;
  links: LinkProvider;
  dataDir: string;
  /** Durable handler-private state for this (action, module); survives restarts. */
  checkpoint: {
    load<T>(): T | undefined;
    save<T>(value: T): void;
  };
  /** Bytes transferred to the module so far. */
  progress(cnt: number, of: number): void;
}

export interface Handler {
  /** The image `type` of the recipe file this handler installs. */
  readonly type: string;
  /** Whether the module can return to its old image after transfer and activate. */
  revertible(job: HandlerJob): boolean;
  prepare(job: HandlerJob, ctx: HandlerContext): Promise<void>;
  transfer(job: HandlerJob, ctx: HandlerContext): Promise<void>;
  activate(job: HandlerJob, ctx: HandlerContext): Promise<void>;
  /** Throws unless the module now runs `job.version`. */
  verify(job: HandlerJob, ctx: HandlerContext): Promise<void>;
  commit(job: HandlerJob, ctx: HandlerContext): Promise<void>;
  revert(job: HandlerJob, ctx: HandlerContext): Promise<void>;
}
