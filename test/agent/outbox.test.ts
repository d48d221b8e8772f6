import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstallApi } from '../../src/agent/install-api.js';
import { createAuth } from '../../src/agent/net/auth.js';
import { createDelivery, feedbackIdFor, flushOutbox } from '../../src/agent/outbox.js';
import { StateStore } from '../../src/agent/store.js';
import { silentLogger } from '../../src/lib/log.js';

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += c;
  return s;
}

async function backend(
  answer: (path: string, body: unknown) => number,
): Promise<{ url: string; seen: { path: string; body: unknown }[] }> {
  const seen: { path: string; body: unknown }[] = [];
  server = createServer(async (req, res) => {
    const b = JSON.parse(await body(req)) as unknown;
    seen.push({ path: req.url ?? '', body: b });
    res.statusCode = answer(req.url ?? '', b);
    res.setHeader('content-type', 'application/json');
    res.end(res.statusCode >= 400 ? JSON.stringify({ errorCode: 'x', message: 'no' }) : '');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

function api(url: string): InstallApi {
  return new InstallApi({
    url,
    tenant: 'T',
    controllerId: 'gw',
    auth: createAuth({ targetToken: 'tok' }),
    timeoutMs: 5000,
    now: () => Date.now(),
  });
}

function enqueue(store: StateStore, url: string, key: string) {
  const id = feedbackIdFor('gw', '17', key);
  store.enqueue({
    feedbackId: id,
    actionId: '17',
    url,
    body: JSON.stringify({ feedbackId: id, key }),
    createdAt: 0,
  });
}

describe('feedback outbox', () => {
  it('feedback ids are stable per (controller, action, key) and shaped as UUIDs', () => {
    expect(feedbackIdFor('gw', '17', 'final')).toBe(feedbackIdFor('gw', '17', 'final'));
    expect(feedbackIdFor('gw', '17', 'final')).not.toBe(feedbackIdFor('gw', '18', 'final'));
    expect(feedbackIdFor('gw', '17', 'final')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('delivers in order, once; a repeated enqueue is one row; survives reopening the store', async () => {
    const { url, seen } = await backend(() => 200);
    const dir = mkdtempSync(join(tmpdir(), 'soup-outbox-'));
    let store = StateStore.open(dir);
    for (const k of ['a', 'b', 'a', 'c']) enqueue(store, `${url}/fb`, k);
    expect(store.outboxSize()).toBe(3);
    store.close();
    store = StateStore.open(dir);
    const r = await flushOutbox(store, api(url), silentLogger());
    expect(r).toEqual({ delivered: 3, dropped: 0, pending: 0 });
    expect(seen.map((s) => (s.body as { key: string }).key)).toEqual(['a', 'b', 'c']);
    expect(store.outboxSize()).toBe(0);
    store.close();
  });

  it('stops at a server error and keeps the rest in order; 410 drops a row', async () => {
    let failing = true;
    const { url, seen } = await backend((_path, b) => {
      const key = (b as { key: string }).key;
      if (key === 'gone') return 410;
      return failing && key === 'b' ? 503 : 200;
    });
    const store = StateStore.open(mkdtempSync(join(tmpdir(), 'soup-outbox-')));
    for (const k of ['a', 'gone', 'b', 'c']) enqueue(store, `${url}/fb`, k);
    const first = await flushOutbox(store, api(url), silentLogger());
    expect(first).toEqual({ delivered: 1, dropped: 1, pending: 2 });
    failing = false;
    const second = await flushOutbox(store, api(url), silentLogger());
    expect(second.delivered).toBe(2);
    expect(seen.map((s) => (s.body as { key: string }).key)).toEqual(['a', 'gone', 'b', 'b', 'c']);
    expect(seen.every((s) => s.path === '/fb')).toBe(true);
    store.close();
  });

  it('delivery for the daemon: one flush at a time, calls during a flush join it, all queued feedback goes in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soup-delivery-'));
    const store = StateStore.open(dir);
    let inFlight = 0;
    let most = 0;
    const b = await backend(() => 200);
    const real = api(b.url);
    let late = false;
    const slow = {
      url: (p: string) => real.url(p),
      postJson: async (url: string, value: unknown, signal?: AbortSignal) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          const status = await real.postJson(url, value, signal);
          // feedback written while the first delivery runs (the next step's), once
          if (!late) {
            late = true;
            enqueue(store, `${b.url}/fb`, 'late');
          }
          return status;
        } finally {
          inFlight--;
        }
      },
    } as unknown as InstallApi;
    const deliver = createDelivery(store, slow, silentLogger(), new AbortController().signal);
    enqueue(store, `${b.url}/fb`, 'first');
    await Promise.all([deliver(), deliver(), deliver()]);
    expect(most).toBe(1);
    expect(b.seen.map((s) => (s.body as { key: string }).key)).toEqual(['first', 'late']);
    expect(store.outboxSize()).toBe(0);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
