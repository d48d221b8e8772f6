/**
 * SMP over a serial line ("SMP transport: UART/serial"), pure logic, no I/O.
 *
 *   packet = length BE16 | body | CRC-16/XMODEM(body) BE16      length = body + 2 (the CRC)
 *   line   = marker(2) | base64 chunk (≤ 124 chars) | '\n'       ≤ 127 bytes per frame
 *            marker 0x06 0x09 on the first frame of a packet, 0x04 0x14 on continuation frames
 *
 * The base64 text is that of the whole packet, cut into chunks of at most 124 characters (a multiple of
 * 4, so each frame's text decodes on its own). The receiver joins the chunks until it has `length`
 * bytes after the length field, then checks the CRC. CRC-16/XMODEM: poly 0x1021, init 0, no reflection.
 *
 * The reassembly buffer is capped (`maxPacketBytes`): anything longer, a bad CRC, bad base64 or a
 * continuation frame without a start frame drops the partial packet and waits for the next 0x06 0x09.
 */

export const START_MARKER = [0x06, 0x09] as const;
export const CONTINUATION_MARKER = [0x04, 0x14] as const;
export const MAX_FRAME_BYTES = 127;
const MAX_BASE64_PER_FRAME = 124;
const NEWLINE = 0x0a;

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[n] = c;
  }
  return t;
})();

export function crc16xmodem(data: Uint8Array, crc = 0): number {
  let c = crc;
  for (let i = 0; i < data.length; i++) c = ((c << 8) & 0xffff) ^ CRC_TABLE[((c >> 8) ^ data[i]!) & 0xff]!;
  return c;
}

/** The serial line bytes (all frames, markers and newlines included) carrying one SMP message. */
export function encodeFrames(body: Uint8Array): Uint8Array {
  const packet = Buffer.allocUnsafe(body.length + 4);
  packet.writeUInt16BE(body.length + 2, 0);
  packet.set(body, 2);
  packet.writeUInt16BE(crc16xmodem(body), body.length + 2);
  const text = Buffer.from(packet.toString('base64'), 'latin1');
  const frames = Math.ceil(text.length / MAX_BASE64_PER_FRAME);
  const out = Buffer.allocUnsafe(text.length + frames * 3);
  let pos = 0;
  for (let i = 0; i < frames; i++) {
    const marker = i === 0 ? START_MARKER : CONTINUATION_MARKER;
    out[pos++] = marker[0];
    out[pos++] = marker[1];
    pos += text.copy(
      out,
      pos,
      i * MAX_BASE64_PER_FRAME,
      Math.min(text.length, (i + 1) * MAX_BASE64_PER_FRAME),
    );
    out[pos++] = NEWLINE;
  }
  return out;
}

/** How many line bytes `encodeFrames` produces for a body of `bodyBytes` (for ceilings and timeouts). */
export function lineBytesFor(bodyBytes: number): number {
  const base64 = Math.ceil((bodyBytes + 4) / 3) * 4;
  return base64 + Math.ceil(base64 / MAX_BASE64_PER_FRAME) * 3;
}

export type FrameEvent = { kind: 'packet'; body: Uint8Array } | { kind: 'error'; reason: string };

export interface FrameDecoderOptions {
  /** Largest packet (length field value) accepted; larger ones are dropped. Default 8192. */
  maxPacketBytes?: number;
}

/**
 * Reassembles packets from received line bytes. Bytes outside frames (console output sharing the UART)
 * are skipped. Memory is bounded: one line of at most MAX_FRAME_BYTES plus one packet of at most
 * `maxPacketBytes` (as base64).
 */
export class FrameDecoder {
  private readonly maxPacketBytes: number;
  private line = '';
  private inLine = false;
  private prev = -1;
  private base64 = '';
  private expected = -1;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? 8192;
  }

  /** Bytes currently held (for tests of bounded growth). */
  get bufferedBytes(): number {
    return this.line.length + this.base64.length;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (!this.inLine) {
        const byte = chunk[i++]!;
        if (this.prev === 0x06 && byte === 0x09) this.beginLine(true);
        else if (this.prev === 0x04 && byte === 0x14) this.beginLine(false);
        else this.prev = byte;
        continue;
      }
      // inside a frame: take everything up to the newline (or a 0x06, which never occurs in base64)
      let j = i;
      while (j < n && chunk[j] !== NEWLINE && chunk[j] !== 0x06) j++;
      if (j > i) {
        if (this.line.length + (j - i) > MAX_FRAME_BYTES) {
          this.inLine = false;
          this.line = '';
          this.dropPacket(events, `frame longer than ${MAX_FRAME_BYTES} bytes`);
          i = j;
          continue;
        }
        this.line += Buffer.from(chunk.buffer, chunk.byteOffset + i, j - i).toString('latin1');
      }
      i = j;
      if (i >= n) break;
      if (chunk[i] === NEWLINE) {
        i++;
        this.endLine(events);
      } else {
        // 0x06 inside a frame: the frame was cut short; resync on the marker it may start
        i++;
        this.inLine = false;
        this.line = '';
        this.dropPacket(events, 'frame interrupted by a new start frame');
        this.prev = 0x06;
      }
    }
    return events;
  }

  private lineIsStart = false;

  private beginLine(start: boolean): void {
    this.inLine = true;
    this.lineIsStart = start;
    this.line = '';
    this.prev = -1;
  }

  private endLine(events: FrameEvent[]): void {
    this.inLine = false;
    this.prev = -1;
    const text = this.line;
    this.line = '';
    if (this.lineIsStart) {
      if (this.expected >= 0) this.dropPacket(events, 'new packet before the previous one was complete');
      this.base64 = '';
      this.expected = -1;
    } else if (this.expected < 0 && this.base64 === '') {
      events.push({ kind: 'error', reason: 'continuation frame without a start frame' });
      return;
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      this.dropPacket(events, 'frame is not valid base64');
      return;
    }
    this.base64 += text;
    if (this.expected < 0) {
      if (this.base64.length < 4) return;
      const lengthField = Buffer.from(this.base64.slice(0, 4), 'base64');
      // `MA==` is 4 characters of valid base64 but a single byte: no length field
      if (lengthField.length < 2) {
        this.dropPacket(events, 'frame too short for the packet length field');
        return;
      }
      this.expected = lengthField.readUInt16BE(0);
      if (this.expected < 2 || this.expected > this.maxPacketBytes) {
        this.dropPacket(events, `packet length ${this.expected} outside 2..${this.maxPacketBytes}`);
        return;
      }
    }
    // only the length field is decoded per frame; the packet once, when all its characters are in
    const needChars = Math.ceil((this.expected + 2) / 3) * 4;
    if (this.base64.length < needChars) return;
    const bytes = Buffer.from(this.base64, 'base64');
    const have = bytes.length - 2;
    if (this.base64.length > needChars || have !== this.expected) {
      this.dropPacket(events, `packet has ${have} bytes, its length field says ${this.expected}`);
      return;
    }
    const body = bytes.subarray(2, bytes.length - 2);
    const crc = bytes.readUInt16BE(bytes.length - 2);
    this.base64 = '';
    this.expected = -1;
    if (crc16xmodem(body) !== crc) {
      events.push({ kind: 'error', reason: 'packet CRC mismatch' });
      return;
    }
    events.push({ kind: 'packet', body: new Uint8Array(body) });
  }

  private dropPacket(events: FrameEvent[], reason: string): void {
    if (this.base64 !== '' || this.expected >= 0) events.push({ kind: 'error', reason });
    else if (reason.startsWith('frame')) events.push({ kind: 'error', reason });
    this.base64 = '';
    this.expected = -1;
  }
}
