/**
 * An idle agent does not carry what only an update needs: loading the daemon must not load mingo
 * (recipe matching), serialport (only when a serial link opens) or cbor-x (the first SMP message), and the agent never loads node-jose
 * (signatures are verified with node:crypto; node-jose is for the `sign` and `keygen` commands) nor
 * Ajv's compiler (its validators are generated at build time, src/generated/). Checked in a process of
 * its own with a module resolve hook that records every URL loaded.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/src/', import.meta.url).href;
const examples = new URL('../../examples/', import.meta.url).pathname;

const script = `
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on('message', (url) => loaded.push(url));
port1.unref();
const hooks = \`
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}\`;
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
// the hook thread posts every resolved URL in order: once a marker module's URL arrives, every URL
// resolved before it has too
let markers = 0;
const settle = async () => {
  const marker = 'data:text/javascript,export default ' + ++markers;
  await import(marker);
  while (!loaded.includes(marker)) await new Promise((r) => setImmediate(r));
};
// modules loaded with require() are not seen by the hook thread: they are in require's cache
const requireCache = createRequire(import.meta.url).cache;
const packages = () => {
  const paths = [...loaded, ...Object.keys(requireCache)];
  const has = (name) => paths.some((u) => u.includes('/node_modules/' + name + '/'));
  return { nodeJose: has('node-jose'), mingo: has('mingo'), serialport: has('serialport'), cborX: has('cbor-x') };
};
await import(${JSON.stringify(`${dist}agent/daemon.js`)});
await settle();
const daemon = packages();
await import(${JSON.stringify(`${dist}agent/steps/verify.js`)});
await import(${JSON.stringify(`${dist}agent/steps/match.js`)});
await import(${JSON.stringify(`${dist}protocols/buses/serial.js`)});
await settle();
const steps = packages();
const { encodeCbor } = await import(${JSON.stringify(`${dist}protocols/smp/codec.js`)});
encodeCbor({ off: 0 });
await settle();
process.stdout.write(JSON.stringify({ daemon, steps, smp: packages() }));
`;

describe('lazy loading', () => {
  it('the daemon loads mingo, serialport and cbor-x only when an update, a serial link or an SMP message needs them, node-jose never', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      }),
    ) as Record<string, Record<string, boolean>>;
    expect(out.daemon).toEqual({ nodeJose: false, mingo: false, serialport: false, cborX: false });
    // the probe sees them once the steps that need them are loaded
    expect(out.steps).toEqual({ nodeJose: false, mingo: true, serialport: true, cborX: false });
    // cbor-x comes with the first SMP message
    expect(out.smp).toEqual({ nodeJose: false, mingo: true, serialport: true, cborX: true });
  });

  it('the agent validates with its generated validators, never loading Ajv itself', () => {
    // synchronous hooks (module.registerHooks) see the require() calls of CommonJS modules too
    const probe = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
const ajv = () => ({
  compiler: loaded.some((u) => /\\/node_modules\\/ajv\\/dist\\/(ajv\\.js|core\\.js|compile\\/)/.test(u)),
  runtime: loaded.some((u) => u.endsWith('/node_modules/ajv/dist/runtime/ucs2length.js')),
  formats: loaded.some((u) => u.endsWith('/node_modules/ajv-formats/dist/formats.js')),
});
// invalid values run each validator's fault path too: each call must throw
let faults = 0;
const attempt = (f) => { try { f(); } catch { faults++; } };
await import(${JSON.stringify(`${dist}agent/daemon.js`)});
const config = await import(${JSON.stringify(`${dist}agent/config.js`)});
config.loadConfig(${JSON.stringify(`${examples}config.json`)}, {});
attempt(() => config.buildConfig({ server: 1 }));
const documents = await import(${JSON.stringify(`${dist}agent/install-api/documents.js`)});
documents.DDI_ACTION.validate({ id: '1' });
const recipe = await import(${JSON.stringify(`${dist}recipe/schema.js`)});
attempt(() => recipe.validateRecipeFile({ _recipe: {} }));
const messages = await import(${JSON.stringify(`${dist}agent/mqtt/messages.js`)});
messages.parseCommand(Buffer.from('{"command":"install"}'));
const manifest = await import(${JSON.stringify(`${dist}agent/bundle/manifest.js`)});
attempt(() => manifest.checkManifest({ format: 'x' }));
const agent = ajv();
// the control: the one Ajv factory (server-lite, the simulators) does load the compiler
await import(${JSON.stringify(`${dist}lib/json-schema.js`)});
process.stdout.write(JSON.stringify({ agent, factory: ajv(), faults }));
`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        encoding: 'utf8',
        timeout: 20_000,
      }),
    ) as { agent: Record<string, boolean>; factory: Record<string, boolean>; faults: number };
    expect(out.faults).toBe(3);
    // the generated code's own require() calls are seen: the probe sees CommonJS loads
    expect(out.agent).toEqual({ compiler: false, runtime: true, formats: true });
    expect(out.factory).toEqual({ compiler: true, runtime: true, formats: true });
  });
});

/**
 * Node's bundled undici (with HTTP/2, zlib and web streams) costs about 10 MiB: the agent must not load it.
 * An ES import of `node:http` would (its namespace reads the `WebSocket` getter); `lib/http/builtins.ts`
 * requires it instead. Checked after a real request over loopback, with `process.moduleLoadList`; the
 * control imports `node:http` the ES way and sees it appear.
 */
const heavyBuiltins = `
import { createRequire } from 'node:module';
const { createServer } = createRequire(import.meta.url)('node:http');
const heavy = () => process.moduleLoadList.filter((m) => /deps\\/undici|http2|zlib|webstreams/.test(m));
await import(${JSON.stringify(`${dist}agent/daemon.js`)});
const { requestStream } = await import(${JSON.stringify(`${dist}lib/http/request.js`)});
const { defaultTransport, closeTransport } = await import(${JSON.stringify(`${dist}lib/http/transport.js`)});
const server = createServer((req, res) => res.end('pong'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const res = await requestStream(defaultTransport(), {
  url: 'http://127.0.0.1:' + server.address().port + '/ping',
  headers: {},
  headersTimeout: 5000,
  bodyTimeout: 5000,
});
let body = '';
for await (const chunk of res.body) body += chunk;
closeTransport(defaultTransport());
server.close();
const agent = heavy();
await import('node:http');
process.stdout.write(JSON.stringify({ body, agent, control: heavy().length > 0 }));
`;

describe("Node's bundled undici", () => {
  it('is not loaded by the daemon and a request it makes; an ES import of node:http would load it', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', heavyBuiltins], {
        encoding: 'utf8',
        timeout: 20_000,
      }),
    ) as { body: string; agent: string[]; control: boolean };
    expect(out.body).toBe('pong');
    expect(out.agent).toEqual([]);
    expect(out.control).toBe(true);
  });
});
