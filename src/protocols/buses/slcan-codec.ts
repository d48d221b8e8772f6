/**
 * Lawicel SLCAN (CAN232/CANUSB ASCII protocol), the codec only: pure, no I/O.
 *
 *   line        = command characters, ended by a bare CR (0x0D); LF is ignored (some tools add it)
 *   t<iii><L><dd…>   standard frame: 3 hex id, 1 digit length 0–8, 2 hex per data byte
 *   T<iiiiiiii><L><dd…> extended frame: 8 hex id (29-bit)
 *   optional 4 hex timestamp after the data (adapters with `Z1`), ignored
 *   C close · O open · S0–S8 bitrate (10k 20k 50k 100k 125k 250k 500k 800k 1M) · V version · N serial
 *   answers: CR = ok, BEL (0x07) = error; `z` / `Z` CR = transmit ok on Lawicel devices
 *
 * Classic CAN only: SLCAN has no CAN FD frames. The line splitter caps a line at MAX_LINE characters:
 * longer garbage is discarded up to the next terminator, so a noisy line never grows the buffer.
 */
import type { CanFrame } from './types.js';

/** The longest valid line: `T` + 8 id + 1 length + 16 data + 4 timestamp = 30; a margin for oddities. */
export const MAX_LINE = 64;

export const SLCAN_BITRATES: readonly number[] = [
  10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 800_000, 1_000_000,
];

/** The `S<n>` command for a bitrate, or undefined when SLCAN has no code for it. */
export function bitrateCommand(bitrate: number): string | undefined {
  const n = SLCAN_BITRATES.indexOf(bitrate);
  return n < 0 ? undefined : `S${n}`;
}

export function encodeFrameLine(frame: CanFrame): string {
  if (frame.fd) throw new RangeError('SLCAN carries classic CAN only, not CAN FD');
  if (frame.data.length > 8) throw new RangeError(`SLCAN frame has ${frame.data.length} data bytes (max 8)`);
  const id = frame.extended
    ? `T${(frame.id & 0x1fffffff).toString(16).padStart(8, '0').toUpperCase()}`
    : `t${(frame.id & 0x7ff).toString(16).padStart(3, '0').toUpperCase()}`;
  let data = '';
  for (const b of frame.data) data += b.toString(16).padStart(2, '0');
  return `${id}${frame.data.length}${data.toUpperCase()}\r`;
}

export type SlcanLine =
  | { kind: 'frame'; frame: CanFrame }
  | { kind: 'ack' }
  | { kind: 'command'; command: string; arg: string }
  | { kind: 'invalid'; reason: string };

const HEX = /^[0-9a-fA-F]*$/;

/** Parses one line (without its CR). */
export function parseLine(line: string): SlcanLine {
  if (line === '' || line === 'z' || line === 'Z') return { kind: 'ack' };
  const head = line[0]!;
  if (head === 't' || head === 'T') return parseFrame(line, head === 'T');
  if (/^[A-Za-z]$/.test(head)) return { kind: 'command', command: head, arg: line.slice(1) };
  return { kind: 'invalid', reason: `unknown command 0x${line.charCodeAt(0).toString(16)}` };
}

function parseFrame(line: string, extended: boolean): SlcanLine {
  const idLen = extended ? 8 : 3;
  const body = line.slice(1);
  if (!HEX.test(body)) return { kind: 'invalid', reason: 'frame with a non-hex character' };
  if (body.length < idLen + 1) return { kind: 'invalid', reason: 'frame line too short' };
  const id = Number.parseInt(body.slice(0, idLen), 16);
  if (id > (extended ? 0x1fffffff : 0x7ff))
    return { kind: 'invalid', reason: `id 0x${id.toString(16)} too large` };
  const dlc = Number.parseInt(body[idLen]!, 16);
  if (dlc > 8) return { kind: 'invalid', reason: `length ${dlc} > 8` };
  const dataHex = body.slice(idLen + 1);
  if (dataHex.length !== dlc * 2 && dataHex.length !== dlc * 2 + 4)
    return { kind: 'invalid', reason: `length ${dlc} does not match ${dataHex.length} hex digits` };
  const data = new Uint8Array(dlc);
  for (let i = 0; i < dlc; i++) data[i] = Number.parseInt(dataHex.slice(i * 2, i * 2 + 2), 16);
  return { kind: 'frame', frame: { id, extended, fd: false, data } };
}

export type SlcanToken = { kind: 'line'; line: string } | { kind: 'bell' } | { kind: 'overflow' };

/** Splits a byte stream into lines at CR, and BEL answers; bounded by MAX_LINE. */
export class SlcanLineSplitter {
  private buf = '';
  private discarding = false;

  push(chunk: Uint8Array): SlcanToken[] {
    const out: SlcanToken[] = [];
    for (const byte of chunk) {
      if (byte === 0x0d) {
        if (this.discarding) this.discarding = false;
        else out.push({ kind: 'line', line: this.buf });
        this.buf = '';
      } else if (byte === 0x07) {
        this.buf = '';
        this.discarding = false;
        out.push({ kind: 'bell' });
      } else if (byte === 0x0a) {
        // LF after CR from tools that send CRLF: not part of any line
      } else if (!this.discarding) {
        if (this.buf.length >= MAX_LINE) {
          this.buf = '';
          this.discarding = true;
          out.push({ kind: 'overflow' });
        } else {
          this.buf += String.fromCharCode(byte);
        }
      }
    }
    return out;
  }

  /** Characters held for the current, unfinished line (never above MAX_LINE). */
  get pending(): number {
    return this.buf.length;
  }
}
