/**
 * What changed, for the console's live views: every successful write request (Install API feedback and
 * system reports, Management API edits and transitions) is observed as it finishes and announced to
 * the subscribers. The console then reads the changed entities through the Management API; the feed
 * carries no data, only which system (or the whole fleet) to read again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../app.js';

export type Change = { scope: 'system'; controllerId: string } | { scope: 'fleet' };
export type Subscriber = (change: Change) => void;

/** Upper bound of simultaneous live views per server. */
export const MAX_SUBSCRIBERS = 64;

export class ChangeFeed {
  private readonly subscribers = new Set<Subscriber>();

  get size(): number {
    return this.subscribers.size;
  }

  /** Returns the unsubscribe function, or null when the feed is full. */
  subscribe(fn: Subscriber): (() => void) | null {
    if (this.subscribers.size >= MAX_SUBSCRIBERS) return null;
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  publish(change: Change): void {
    for (const fn of [...this.subscribers]) fn(change);
  }
}

const feeds = new WeakMap<App, ChangeFeed>();

export function changeFeedOf(app: App): ChangeFeed {
  let feed = feeds.get(app);
  if (!feed) {
    feed = new ChangeFeed();
    feeds.set(app, feed);
  }
  return feed;
}

const INSTALL_PATH = /^\/[^/]+\/controller\/v1\/([^/?]+)/;

/** The change a finished request made, if any: only successful writes change anything. */
export function changeOf(method: string, path: string, status: number): Change | null {
  if (method === 'GET' || method === 'HEAD' || status >= 400) return null;
  const install = INSTALL_PATH.exec(path);
  if (install) {
    try {
      return { scope: 'system', controllerId: decodeURIComponent(install[1] as string) };
    } catch {
      return null;
    }
  }
  return path.startsWith('/rest/v1/') ? { scope: 'fleet' } : null;
}

/** Wraps server-lite's request listener so that every finished write is published on the app's feed. */
export function observeWrites(
  app: App,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const feed = changeFeedOf(app);
  return (req, res) => {
    res.once('finish', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const change = changeOf(req.method ?? 'GET', q < 0 ? url : url.slice(0, q), res.statusCode);
      if (change) feed.publish(change);
    });
    listener(req, res);
  };
}
