/**
 * The two transport interfaces (`module-protocols.md`). Protocol code is written once over these;
 * each has a real implementation (serialport; SocketCAN, SLCAN) and an in-memory twin, and every
 * implementation passes the same contract suite in `test/contracts/`.
 */

/** A byte stream: a serial port, a pseudo-terminal, or an in-memory pipe. */
export interface ByteStream {
  /** Writes and resolves once the bytes are handed to the OS (drained); rejects when closed. */
  write(data: Uint8Array): Promise<void>;
  /** Subscribes to received bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Called once when the stream closes, with the error when it was not a local close(). */
  onClose(listener: (err?: Error) => void): () => void;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

/** One CAN frame. `data` is at most 8 bytes on classic CAN and 64 on CAN FD. */
export interface CanFrame {
  id: number;
  /** 29-bit identifier. */
  extended: boolean;
  /** CAN FD frame (SocketCAN only: SLCAN is classic CAN). */
  fd: boolean;
  data: Uint8Array;
}

/** A frame bus: SocketCAN, SLCAN over a byte stream, or the in-memory bus. */
export interface FrameBus {
  send(frame: CanFrame): Promise<void>;
  /** Subscribes to received frames that pass `filter`; returns the unsubscribe function. */
  onFrame(filter: (frame: CanFrame) => boolean, listener: (frame: CanFrame) => void): () => void;
  close(): Promise<void>;
  /** Whether this bus can carry CAN FD frames. */
  readonly supportsFd: boolean;
}

/** Opens links by the names used in the configuration; the daemon holds one instance per port/bus. */
export interface LinkProvider {
  /** A serial port (or pty) at `path`. */
  serial(path: string, baudRate: number): Promise<ByteStream>;
  /** A CAN bus: `can0` (SocketCAN) or `slcan:<serial path>`. Shared by every ECU on it. */
  can(bus: string, bitrate: number): Promise<FrameBus>;
}
