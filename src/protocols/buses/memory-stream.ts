/**
 * In-memory twin of a serial ByteStream: two connected ends. Bytes written on one end are delivered
 * to the other asynchronously (next macrotask), in order, like a pty without a baud rate.
 */
import { SoupError } from '../../lib/errors.js';
import type { ByteStream } from './types.js';

class MemoryEnd implements ByteStream {
  peer: MemoryEnd | undefined;
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private open = true;

  constructor(private readonly label: string) {}

  get isOpen(): boolean {
    return this.open;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.open)
      return Promise.reject(new SoupError('SOUP_E_IO', `${this.label} is closed`, { retryable: true }));
    const copy = new Uint8Array(data);
    const peer = this.peer;
    setImmediate(() => peer?.deliver(copy));
    return Promise.resolve();
  }

  private deliver(chunk: Uint8Array): void {
    if (!this.open) return;
    for (const l of this.dataListeners) l(chunk);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): Promise<void> {
    this.shut(undefined);
    return Promise.resolve();
  }

  /** Closes this end as if the device went away (listeners get an error). */
  fail(reason: string): void {
    this.shut(new SoupError('SOUP_E_IO', `${this.label} closed: ${reason}`));
  }

  private shut(err: Error | undefined): void {
    if (!this.open) return;
    this.open = false;
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
    this.dataListeners.clear();
  }
}

export function createMemoryStreamPair(label = 'memory stream'): [ByteStream, ByteStream] {
  const a = new MemoryEnd(`${label} (a)`);
  const b = new MemoryEnd(`${label} (b)`);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
