/**
 * ISO-TP segmentation, pure: a message becomes one single frame, or a first frame followed by
 * consecutive frames with sequence numbers 1…15, 0, 1… Flow control and timing are the sender's job
 * (`IsoTpChannel` in channel.ts); this only cuts bytes.
 */
import {
  consecutiveFrameCapacity,
  type FrameSize,
  firstFrameCapacity,
  type IsoTpPdu,
  MAX_FF_LENGTH,
  singleFrameCapacity,
} from './frames.js';

export function* segment(message: Uint8Array, frameSize: FrameSize): Generator<IsoTpPdu> {
  const length = message.length;
  if (length === 0) throw new RangeError('an ISO-TP message has at least one byte');
  if (length > MAX_FF_LENGTH) throw new RangeError(`message of ${length} bytes exceeds ISO-TP's 4 GiB`);
  if (length <= singleFrameCapacity(frameSize)) {
    yield { type: 'single', data: message };
    return;
  }
  let offset = firstFrameCapacity(frameSize, length);
  yield { type: 'first', length, data: message.subarray(0, offset) };
  const step = consecutiveFrameCapacity(frameSize);
  let sn = 1;
  while (offset < length) {
    yield { type: 'consecutive', sn, data: message.subarray(offset, Math.min(length, offset + step)) };
    offset += step;
    sn = (sn + 1) & 0x0f;
  }
}

/** Number of CAN frames `segment` produces for a message of `length` bytes. */
export function frameCount(length: number, frameSize: FrameSize): number {
  if (length <= singleFrameCapacity(frameSize)) return 1;
  const rest = length - firstFrameCapacity(frameSize, length);
  return 1 + Math.ceil(rest / consecutiveFrameCapacity(frameSize));
}
