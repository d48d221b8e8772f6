/**
 * Live views: one server-sent-events stream (`/console/api/changes`) per tab, read with fetch so that
 * it carries the session's Authorization header (EventSource cannot). Each event names the system that
 * changed (or the whole fleet); a view reads what it shows again, at most every 250 ms.
 */
import { authorization } from './session.js';

export type Change = { scope: 'system'; controllerId: string } | { scope: 'fleet' };
type Listener = (change: Change) => void;

const listeners = new Set<Listener>();
let controller: AbortController | null = null;

function dispatch(block: string): void {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (event !== 'change' || data === '') return;
  let change: Change;
  try {
    change = JSON.parse(data) as Change;
  } catch {
    return;
  }
  for (const l of [...listeners]) l(change);
}

async function connect(signal: AbortSignal): Promise<void> {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const res = await fetch('/console/api/changes', {
        headers: { authorization: authorization() ?? '', accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      document.body.dataset.live = 'connected';
      delay = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        if (buffer.length > 64 * 1024) buffer = '';
      }
    } catch {
      if (signal.aborted) return;
    }
    document.body.dataset.live = 'reconnecting';
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 15_000);
  }
}

/** Calls `refresh` (debounced) whenever a change matches `relevant`; returns the unsubscribe function. */
export function watch(relevant: (c: Change) => boolean, refresh: () => void): () => void {
  let timer: number | undefined;
  const listener: Listener = (c) => {
    if (!relevant(c) || timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      refresh();
    }, 250);
  };
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (timer !== undefined) clearTimeout(timer);
  };
}

export function startLive(): void {
  if (controller) return;
  controller = new AbortController();
  void connect(controller.signal);
}

export function stopLive(): void {
  controller?.abort();
  controller = null;
  delete document.body.dataset.live;
}
