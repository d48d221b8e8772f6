/** SLCAN codec, host bus and simulated adapter under random and mutated input (seeded, bounded). */
import { describe, expect, it } from 'vitest';
import { MemoryCanBus } from '../../../src/protocols/buses/memory-bus.js';
import { SlcanBus } from '../../../src/protocols/buses/slcan.js';
import {
  encodeFrameLine,
  MAX_LINE,
  parseLine,
  SlcanLineSplitter,
} from '../../../src/protocols/buses/slcan-codec.js';
import type { ByteStream, CanFrame } from '../../../src/protocols/buses/types.js';
import { startSlcanAdapter } from '../../../src/simulate/uds/slcan-adapter.js';
import { prng } from '../../helpers/prng.js';

const SEED = 0x51ca9;
const ALPHABET = 'tTzZCOSVNF0123456789ABCDEFabcdefg\r\r\r\x07\n\x00\xff';

/** An in-memory ByteStream: what is written is recorded; `feed` plays the other side. */
class PipeStream implements ByteStream {
  written: Uint8Array[] = [];
  private data = new Set<(c: Uint8Array) => void>();
  isOpen = true;
  async write(data: Uint8Array): Promise<void> {
    this.written.push(data);
  }
  onData(l: (c: Uint8Array) => void) {
    this.data.add(l);
    return () => this.data.delete(l);
  }
  onClose() {
    return () => {};
  }
  async close() {
    this.isOpen = false;
  }
  feed(bytes: Uint8Array) {
    for (const l of this.data) l(bytes);
  }
}

function noise(r: ReturnType<typeof prng>, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    out[i] = r.int(4) === 0 ? r.int(256) : ALPHABET.charCodeAt(r.int(ALPHABET.length));
  return out;
}

describe('SLCAN fuzz', () => {
  it('splits 2 MB of noise without throwing and never holds more than MAX_LINE characters', () => {
    const r = prng(SEED);
    const s = new SlcanLineSplitter();
    let lines = 0;
    const bad: string[] = [];
    let maxPending = 0;
    for (let i = 0; i < 1000; i++) {
      const chunk = i % 50 === 0 ? new Uint8Array(5000).fill(0x74) : noise(r, 1 + r.int(2000));
      for (const token of s.push(chunk)) {
        if (token.kind !== 'line') continue;
        lines++;
        if (token.line.length > MAX_LINE) bad.push(`line of ${token.line.length}`);
        const parsed = parseLine(token.line);
        if (parsed.kind !== 'frame') continue;
        if (parsed.frame.data.length > 8 || parsed.frame.id > (parsed.frame.extended ? 0x1fffffff : 0x7ff))
          bad.push(token.line);
      }
      maxPending = Math.max(maxPending, s.pending);
    }
    expect(bad).toEqual([]);
    expect(maxPending).toBeLessThanOrEqual(MAX_LINE);
    expect(lines).toBeGreaterThan(1000);
  });

  it('round-trips random frames, and parses mutated lines without throwing', () => {
    const r = prng(SEED + 1);
    const mismatches: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const extended = r.int(2) === 1;
      const frame: CanFrame = {
        id: extended ? r.int(0x20000000) : r.int(0x800),
        extended,
        fd: false,
        data: r.bytes(r.int(9)),
      };
      const line = encodeFrameLine(frame);
      const back = parseLine(line.slice(0, -1));
      if (
        !line.endsWith('\r') ||
        back.kind !== 'frame' ||
        back.frame.id !== frame.id ||
        back.frame.extended !== frame.extended ||
        !Buffer.from(back.frame.data).equals(Buffer.from(frame.data))
      )
        mismatches.push(line);
      const chars = [...line.slice(0, -1)];
      chars[r.int(chars.length)] = String.fromCharCode(r.int(128));
      if (r.int(3) === 0) chars.splice(r.int(chars.length), 1);
      parseLine(chars.join('')); // must not throw
    }
    expect(mismatches).toEqual([]);
  });

  it('host bus and simulated adapter survive garbage and keep working', async () => {
    const r = prng(SEED + 2);
    // host side: open handshake answered, then noise mixed with valid frame lines
    const hostStream = new PipeStream();
    const host = new SlcanBus(hostStream, { bitrate: 500_000, pace: false, commandTimeoutMs: 2000 });
    const opening = host.open();
    const answer = setInterval(() => hostStream.feed(Uint8Array.of(0x0d)), 5);
    await opening;
    clearInterval(answer);
    const got: CanFrame[] = [];
    host.onFrame(
      () => true,
      (f) => got.push(f),
    );
    for (let i = 0; i < 500; i++) {
      hostStream.feed(noise(r, 1 + r.int(300)));
      hostStream.feed(new TextEncoder().encode(`\rt1232ABCD\r`));
    }
    expect(got.filter((f) => f.id === 0x123 && f.data.length === 2).length).toBeGreaterThanOrEqual(450);
    expect(host.stats.invalidLines).toBeGreaterThan(0);

    // adapter side: noise from the host gets BEL answers; valid frames still reach the wire
    const wire = new MemoryCanBus();
    const adapterStream = new PipeStream();
    const adapter = startSlcanAdapter(adapterStream, wire.attach(), 64);
    const onWire: CanFrame[] = [];
    wire.attach().onFrame(
      () => true,
      (f) => onWire.push(f),
    );
    adapterStream.feed(new TextEncoder().encode('O\r'));
    for (let i = 0; i < 500; i++) {
      adapterStream.feed(noise(r, 1 + r.int(300)));
      adapterStream.feed(new TextEncoder().encode('\rO\rt7E0210FF\r'));
      await new Promise((res) => setImmediate(res));
    }
    expect(onWire.filter((f) => f.id === 0x7e0).length).toBeGreaterThanOrEqual(450);
    expect(adapter.stats.errors).toBeGreaterThan(0);
    adapter.close();
    await host.close();
  });
});
