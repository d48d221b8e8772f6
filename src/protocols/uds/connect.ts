/** A UDS client for one configured ECU on a shared FrameBus: an ISO-TP channel plus the client. */
import type { Clock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import type { FrameBus } from '../buses/types.js';
import { IsoTpChannel } from '../isotp/channel.js';
import { UdsClient } from './client.js';
import type { EcuSettings } from './ecu-config.js';

export interface EcuConnection {
  client: UdsClient;
  channel: IsoTpChannel;
  /** Unsubscribes from the bus; the bus itself stays open for the other ECUs on it. */
  close(): void;
}

export function connectEcu(
  bus: FrameBus,
  ecu: EcuSettings,
  clock: Clock,
  p2MarginMs?: number,
): EcuConnection {
  const channel = new IsoTpChannel(bus, {
    txId: ecu.txId,
    rxId: ecu.rxId,
    extended: ecu.extended,
    fd: ecu.fd,
    clock,
    name: `ECU ${ecu.name}`,
    maxLength: 0xffff,
  });
  const client = new UdsClient(channel, {
    name: ecu.name,
    clock,
    ...(p2MarginMs === undefined ? {} : { p2MarginMs }),
  });
  return { client, channel, close: () => channel.close() };
}

/** A DID's data as text: printable ASCII trimmed of NUL/space padding, else hex. */
export function didText(data: Uint8Array): string {
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0 || data[end - 1] === 0x20 || data[end - 1] === 0xff)) end--;
  const body = data.subarray(0, end);
  if (body.every((b) => b >= 0x20 && b < 0x7f)) return Buffer.from(body).toString('latin1');
  return Buffer.from(data).toString('hex');
}

/** Reads a DID, asking once more when the first request goes unanswered (a lost frame, a busy host). */
export async function readDidRetrying(
  client: UdsClient,
  did: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    return await client.readDid(did, signal);
  } catch (err) {
    if (!(err instanceof SoupError && err.code === 'SOUP_E_MODULE_TIMEOUT')) throw err;
    return client.readDid(did, signal);
  }
}
