/**
 * The console's change stream is only for clients that ask for an event stream. A plain HTTP client
 * with a small keep-alive pool (the fuzz test's undici Agent) that GETs `/console/api/changes` got a
 * response that never ends; each such request held one pooled connection for good, and once every
 * connection was held the client's next requests (a plain GET of the Management API) were never sent.
 * Over a real socket: without `Accept: text/event-stream` the answer is a finished 406 and the same
 * single connection serves the next request; with it the stream opens.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type Harness, startHarness } from './harness.js';

describe('console change stream: only for clients that accept text/event-stream', () => {
  let h: Harness;
  const agent = new Agent({ connections: 1 });
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await agent.close();
    await h.stop();
  });

  it('answers 406 (a finished response) without the Accept header; the pooled connection serves on', async () => {
    for (const accept of [undefined, '*/*', 'application/json', 'text/event-streams', 'text/*']) {
      const res = await request(`${h.url}/console/api/changes`, {
        headers: { authorization: basic('admin'), ...(accept === undefined ? {} : { accept }) },
        dispatcher: agent,
      });
      // a stream would hold the pool's one connection: let it go before failing
      if (res.statusCode !== 406) res.body.destroy();
      expect(res.statusCode, `accept ${accept}`).toBe(406);
      // the body ends: the connection is free again
      const error = JSON.parse(await res.body.text()) as { errorCode: string; message: string };
      expect(error.errorCode).toBe('soup.console.notAcceptable');
      expect(error.message).toContain('text/event-stream');
    }
    // one connection in the pool: this request is only sent because the answers above ended
    const types = await request(`${h.url}/rest/v1/softwaremoduletypes`, {
      headers: { authorization: basic('admin') },
      dispatcher: agent,
    });
    expect(types.statusCode).toBe(200);
    expect(JSON.parse(await types.body.text())).toHaveProperty('content');
  });

  it('opens the stream for a client that asks for it (media range among others, any case)', async () => {
    for (const accept of ['text/event-stream', 'application/json;q=0.5, Text/Event-Stream;q=1']) {
      const stream = await request(`${h.url}/console/api/changes`, {
        headers: { authorization: basic('reader'), accept },
      });
      expect(stream.statusCode, `accept ${accept}`).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const first = await new Promise<string>((resolve) =>
        stream.body.once('data', (c: Buffer) => resolve(String(c))),
      );
      expect(first).toContain(': connected');
      stream.body.destroy();
    }
  });

  it('checks the credentials first: 401 without them, whatever the Accept header', async () => {
    const res = await request(`${h.url}/console/api/changes`, { dispatcher: agent });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
  });
});
