/** The serialport implementation of ByteStream (real ports and pseudo-terminals). Owner: smp. */
import { notBuilt } from '../../lib/errors.js';
import type { ByteStream } from './types.js';

export async function openSerialPort(_path: string, _baudRate: number): Promise<ByteStream> {
  return notBuilt('serial ports');
}
