/**
 * Artifact downloads (`agent.md` step 6): streaming, HTTP Range resume with If-Range after network faults
 * and after restarts (the partial file's hash state is rebuilt by re-reading it, not trusted), free space
 * checked first, SHA-256 checked while streaming, a file longer/shorter/different than declared discarded.
 * Owner: agent-net.
 */
import type { Dispatcher } from 'undici';
import { notBuilt } from '../../lib/errors.js';
import type { AuthProvider } from './auth.js';

export interface DownloadRequest {
  url: string;
  /** Final path; the partial file is `<dest>.part` beside it. */
  dest: string;
  size: number;
  sha256: string;
  auth: AuthProvider;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** Attempts on retryable faults before giving up (default 5). */
  maxAttempts?: number;
  onProgress?: (bytes: number, of: number) => void;
}

export interface DownloadResult {
  path: string;
  /** Bytes taken from an earlier partial file instead of the network. */
  resumedFrom: number;
}

/** Resolves once `dest` holds exactly the declared bytes; throws SoupError SOUP_E_DOWNLOAD / SOUP_E_HASH. */
export async function downloadArtifact(_request: DownloadRequest): Promise<DownloadResult> {
  return notBuilt('artifact downloads');
}
