/**
 * An idle agent does not carry what only an update needs: loading the daemon must not load mingo
 * (recipe matching) or serialport (only when a serial link opens), and the agent never loads node-jose
 * (signatures are verified with node:crypto; node-jose is for the `sign` and `keygen` commands). Checked
 * in a process of its own with a module resolve hook that records every URL loaded.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/src/', import.meta.url).href;

const script = `
import { register } from 'node:module';
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
const packages = () => {
  const has = (name) => loaded.some((u) => u.includes('/node_modules/' + name + '/'));
  return { nodeJose: has('node-jose'), mingo: has('mingo'), serialport: has('serialport') };
};
await import(${JSON.stringify(`${dist}agent/daemon.js`)});
await settle();
const daemon = packages();
await import(${JSON.stringify(`${dist}agent/steps/verify.js`)});
await import(${JSON.stringify(`${dist}agent/steps/match.js`)});
await import(${JSON.stringify(`${dist}protocols/buses/serial.js`)});
await settle();
process.stdout.write(JSON.stringify({ daemon, steps: packages() }));
`;

describe('lazy loading', () => {
  it('the daemon loads mingo and serialport only when an update or a serial link needs them, node-jose never', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      }),
    ) as Record<string, Record<string, boolean>>;
    expect(out.daemon).toEqual({ nodeJose: false, mingo: false, serialport: false });
    // the probe sees them once the steps that need them are loaded
    expect(out.steps).toEqual({ nodeJose: false, mingo: true, serialport: true });
  });
});
