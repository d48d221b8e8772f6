/**
 * ByteStream over serialport: real UARTs (`/dev/ttyUSB0`) and pseudo-terminals alike.
 * A pty ignores the baud rate; simulators pace their side themselves (`module-protocols.md`).
 */
import { SerialPort } from 'serialport';
import { SoupError } from '../../lib/errors.js';
import type { ByteStream } from './types.js';

export async function openSerialPort(path: string, baudRate: number): Promise<ByteStream> {
  const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (err) reject(new SoupError('SOUP_E_IO', `serial ${path}: ${err.message}`, { retryable: true }));
      else resolve();
    });
  });
  return new SerialByteStream(port, path);
}

class SerialByteStream implements ByteStream {
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private closedLocally = false;

  constructor(
    private readonly port: SerialPort,
    private readonly path: string,
  ) {
    port.on('close', (err?: Error | null) => {
      const reason =
        this.closedLocally || !err
          ? undefined
          : new SoupError('SOUP_E_IO', `serial ${path} closed: ${err.message}`);
      for (const listener of this.closeListeners) listener(reason);
      this.closeListeners.clear();
    });
    // errors after open surface through 'close' or the failing write; keep the emitter from throwing
    port.on('error', () => {});
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port.isOpen) {
        reject(new SoupError('SOUP_E_IO', `serial ${this.path} is closed`, { retryable: true }));
        return;
      }
      this.port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), (err) => {
        if (err)
          reject(new SoupError('SOUP_E_IO', `serial ${this.path}: ${err.message}`, { retryable: true }));
      });
      this.port.drain((err) => {
        if (err)
          reject(new SoupError('SOUP_E_IO', `serial ${this.path}: ${err.message}`, { retryable: true }));
        else resolve();
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.port.on('data', listener);
    return () => this.port.off('data', listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    this.closedLocally = true;
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}
