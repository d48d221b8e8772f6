/**
 * Fault injection for the simulated SMP module (`module-protocols.md`, "Simulated modules").
 * A fault fires when its condition holds — `atRequest`: from the n-th request on (1-based);
 * `atOffset`: on an image upload request whose `off` is at least that; neither: from the first request —
 * and fires `count` times (default 1), on consecutive matching requests.
 *
 *   drop-frame     the request is not answered
 *   corrupt-frame  the answer is sent with a damaged frame (bad base64/CRC)
 *   stall          the module stops processing for `durationMs` (default 1000); queued requests follow
 *   disconnect     the link goes away (pty closed) for `durationMs` (default 300), then comes back
 *   reboot         the module resets at once (RAM upload state lost, MCUboot boot rules), silent for
 *                  `durationMs` (default 100)
 *   refuse-boot    the next `count` test boots after the condition fail; MCUboot swaps back
 */
export type SmpFaultType = 'drop-frame' | 'corrupt-frame' | 'stall' | 'disconnect' | 'reboot' | 'refuse-boot';

export interface SmpFault {
  type: SmpFaultType;
  atOffset?: number;
  atRequest?: number;
  count?: number;
  durationMs?: number;
}

interface Armed {
  fault: SmpFault;
  remaining: number;
  conditionMet: boolean;
}

export class FaultPlan {
  private readonly faults: Armed[];
  private requests = 0;

  constructor(faults: SmpFault[]) {
    this.faults = faults.map((fault) => ({ fault, remaining: fault.count ?? 1, conditionMet: false }));
  }

  /** Called for each request received; returns the request-time fault to apply, if any. */
  onRequest(uploadOffset: number | undefined): SmpFault | undefined {
    this.requests++;
    let fired: SmpFault | undefined;
    for (const a of this.faults) {
      const f = a.fault;
      const met =
        f.atRequest !== undefined
          ? this.requests >= f.atRequest
          : f.atOffset !== undefined
            ? uploadOffset !== undefined && uploadOffset >= f.atOffset
            : true;
      if (!met) continue;
      a.conditionMet = true;
      if (f.type === 'refuse-boot' || a.remaining <= 0 || fired) continue;
      a.remaining--;
      fired = f;
    }
    return fired;
  }

  /** Called on a test boot: whether the new image refuses to boot. */
  refuseBoot(): boolean {
    const a = this.faults.find(
      (x) =>
        x.fault.type === 'refuse-boot' &&
        x.remaining > 0 &&
        (x.conditionMet || (x.fault.atRequest === undefined && x.fault.atOffset === undefined)),
    );
    if (!a) return false;
    a.remaining--;
    return true;
  }
}
