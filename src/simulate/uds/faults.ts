/**
 * Fault injection for a simulated ECU (`faults[]` of the simulate configuration).
 *
 * Trigger: `atRequest` n — from the n-th request the ECU receives (1-based); `atOffset` x — from the
 * TransferData whose block reaches past image byte x (frame faults: once x bytes are written);
 * neither — from the first request. Each fault applies `count` times (default 1).
 *
 *   drop-frame     the next `count` frames from the tester are lost (ISO-TP then times out)
 *   corrupt-frame  the next `count` consecutive frames arrive with a garbled sequence number (as a
 *                  bit error escaping the CRC would); the ECU drops that message
 *   stall          the ECU ignores everything for `durationMs` (default 2000), state kept
 *   disconnect     the ECU drops off the bus for `durationMs` (default 1000) and comes back rebooted
 *   reboot         the ECU reboots at once (50 ms silent): session and security lost, flash kept
 *   refuse-boot    the next `count` ECUResets after a checked image keep running the old version
 *   nrc            the triggering request (and `count − 1` after it) is answered with `nrc` (default
 *                  0x22); 0x78 instead answers pending for `durationMs` (default 1000), then normally
 */
import type { FaultConfig, FaultType } from './config.js';

interface Armed {
  config: FaultConfig;
  remaining: number;
}

export interface RequestTrigger {
  requestNo: number;
  /** For TransferData: the image offset the block would reach. */
  reachesOffset?: number;
}

const FRAME_FAULTS: FaultType[] = ['drop-frame', 'corrupt-frame'];

export class FaultPlan {
  private readonly faults: Armed[];
  /** Faults fired so far, by type (for tests). */
  readonly fired: Record<string, number> = {};

  constructor(configs: FaultConfig[]) {
    this.faults = configs.map((config) => ({ config, remaining: config.count ?? 1 }));
  }

  /** The request-level fault to apply to this request, if any. */
  onRequest(trigger: RequestTrigger): FaultConfig | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0 || FRAME_FAULTS.includes(f.config.type) || f.config.type === 'refuse-boot')
        continue;
      if (!this.due(f.config, trigger)) continue;
      return this.consume(f);
    }
    return undefined;
  }

  /** What happens to a frame from the tester: delivered, dropped or corrupted. */
  onFrame(requestsSeen: number, written: number, isConsecutive: boolean): 'deliver' | 'drop' | 'corrupt' {
    for (const f of this.faults) {
      if (f.remaining <= 0 || !FRAME_FAULTS.includes(f.config.type)) continue;
      const { atRequest, atOffset } = f.config;
      if (atRequest !== undefined && requestsSeen + 1 < atRequest) continue;
      if (atOffset !== undefined && written < atOffset) continue;
      if (f.config.type === 'corrupt-frame' && !isConsecutive) continue;
      this.consume(f);
      return f.config.type === 'drop-frame' ? 'drop' : 'corrupt';
    }
    return 'deliver';
  }

  /** Whether this ECUReset must keep the old version running. */
  refuseBoot(requestNo: number): boolean {
    for (const f of this.faults) {
      if (f.remaining <= 0 || f.config.type !== 'refuse-boot') continue;
      if (f.config.atRequest !== undefined && requestNo < f.config.atRequest) continue;
      this.consume(f);
      return true;
    }
    return false;
  }

  private due(config: FaultConfig, trigger: RequestTrigger): boolean {
    if (config.atOffset !== undefined)
      return trigger.reachesOffset !== undefined && trigger.reachesOffset > config.atOffset;
    if (config.atRequest !== undefined) return trigger.requestNo >= config.atRequest;
    return true;
  }

  private consume(f: Armed): FaultConfig {
    f.remaining--;
    this.fired[f.config.type] = (this.fired[f.config.type] ?? 0) + 1;
    return f.config;
  }
}
