/**
 * The simulated module's MCUmgr server: what it answers to each request, and what a reset does to its
 * slots. Pure logic over in-memory flash (two slots); the link, pacing and faults live in `module.ts`.
 *
 * Application mode (Zephyr img_mgmt + MCUboot swap):
 *   - upload (1/1) goes to the secondary slot; `off` 0 with the `sha` of an unfinished upload resumes it
 *     (answers the current `off`); a chunk at any other offset than expected is answered with the
 *     expected `off` (nothing written); at `len` the image must match `sha` and be an MCUboot image.
 *   - image state write (1/0) `{hash, confirm:false}` marks the secondary for a test swap,
 *     `{hash, confirm:true}` for a permanent one, `{confirm:true}` confirms the running image.
 *   - reset (0/5): a pending test swap swaps the slots and runs the new image unconfirmed; an
 *     unconfirmed image swaps back on the next reset (MCUboot revert); a refused boot swaps back at once.
 *   - errors: SMP v2 requests get `{err:{group,rc}}`, v1 requests `{rc}`; unknown groups `{rc: 8}`.
 * Serial-recovery mode (MCUboot boot_serial): v1 headers, indefinite-length CBOR, `{rc: 8}` to image
 *   state write, parameters, identity and unknown commands; image list with `slot, hash, version` only;
 *   upload to the primary slot, erased at `off` 0.
 */
import { createHash } from 'node:crypto';
import { type CborMap, RC_NOT_SUPPORTED } from '../../protocols/smp/codec.js';
import type { SmpHeader } from '../../protocols/smp/header.js';
import {
  buildMcubootImage,
  imageHashValid,
  type McubootImageInfo,
  parseMcubootImage,
} from '../../protocols/smp/mcuboot-image.js';

export type SmpMode = 'application' | 'serial-recovery';

export interface SmpDeviceConfig {
  name: string;
  mode: SmpMode;
  serialNumber?: string;
  attributes: Record<string, string>;
  slotSize: number;
  bufSize: number;
  /** Version of the image in the primary slot at start. */
  image: string;
}

interface Slot {
  bytes: Buffer;
  info: McubootImageInfo;
}

interface UploadSession {
  slot: number;
  sha: Buffer | undefined;
  len: number;
  off: number;
  bytes: Buffer;
}

export interface DeviceAnswer {
  payload: CborMap;
  /** Encode with indefinite-length maps/arrays (serial recovery). */
  indefinite: boolean;
  /** SMP version for the response header. */
  version: number;
  /** Image bytes written to flash by this request (for the flash write time). */
  flashBytes: number;
  /** Reset after the answer is sent. */
  reset: boolean;
}

const MGMT_EINVAL = 3;
const MGMT_EBADSTATE = 6;
const IMG_ERR = {
  hashNotFound: 8,
  noFreeSlot: 9,
  invalidOffset: 20,
  invalidLength: 21,
  invalidMagic: 23,
  invalidHash: 24,
  tooLarge: 30,
  overrun: 31,
  testToActiveDenied: 33,
} as const;

export class SmpDevice {
  readonly slots: [Slot | undefined, Slot | undefined];
  primaryConfirmed = true;
  pending: 'none' | 'test' | 'permanent' = 'none';
  private session: UploadSession | undefined;
  /** Counters the tests read. */
  readonly stats = { uploadStarts: 0, uploadResumes: 0, uploadBytesWritten: 0, boots: 0, refusedBoots: 0 };

  constructor(readonly config: SmpDeviceConfig) {
    const payload = createHash('sha256').update(`${config.name}/${config.image}`).digest();
    const bytes = Buffer.from(
      buildMcubootImage({ version: config.image, payload: Buffer.concat(Array(64).fill(payload)) }),
    );
    this.slots = [{ bytes, info: parseMcubootImage(bytes) }, undefined];
  }

  get recovery(): boolean {
    return this.config.mode === 'serial-recovery';
  }

  /** Upload progress the module holds in RAM (lost on reset). */
  get uploadOffset(): number {
    return this.session?.off ?? 0;
  }

  handle(header: SmpHeader, req: CborMap): DeviceAnswer {
    const write = header.op === 2;
    const answer = (payload: CborMap, extra: Partial<DeviceAnswer> = {}): DeviceAnswer => ({
      payload,
      indefinite: this.recovery,
      version: this.recovery ? 0 : header.version,
      flashBytes: 0,
      reset: false,
      ...extra,
    });
    const notSupported = () => answer({ rc: RC_NOT_SUPPORTED });
    const groupError = (group: number, v2rc: number, v1rc: number) =>
      answer(header.version === 1 && !this.recovery ? { err: { group, rc: v2rc } } : { rc: v1rc });
    const key = `${header.group}/${header.id}/${write ? 'w' : 'r'}`;
    switch (key) {
      case '0/0/w':
        return answer({ r: typeof req.d === 'string' ? req.d : '' });
      case '0/5/w':
        return answer(this.recovery ? { rc: 0 } : {}, { reset: true });
      case '0/6/r':
        return this.recovery ? notSupported() : answer({ buf_size: this.config.bufSize, buf_count: 4 });
      case '1/0/r':
        return answer({ images: this.imageList() });
      case '1/0/w':
        return this.recovery ? notSupported() : this.stateWrite(req, groupError, answer);
      case '1/1/w':
        return this.upload(req, groupError, answer);
      case '1/5/w': {
        if (this.recovery) return notSupported();
        if (this.slots[1] && this.primaryConfirmed === false)
          return groupError(1, IMG_ERR.noFreeSlot, MGMT_EBADSTATE);
        this.slots[1] = undefined;
        this.pending = 'none';
        this.session = undefined;
        return answer({});
      }
      case '64/0/r': {
        if (this.recovery) return notSupported();
        const attributes: Record<string, string> = { ...this.config.attributes };
        if (this.config.serialNumber) attributes.serialNumber = this.config.serialNumber;
        return answer({ attributes });
      }
      default:
        return notSupported();
    }
  }

  imageList(): CborMap[] {
    const list: CborMap[] = [];
    this.slots.forEach((slot, i) => {
      if (!slot) return;
      if (this.recovery) {
        list.push({ slot: i, version: slot.info.version, hash: Buffer.from(slot.info.hash) });
        return;
      }
      list.push({
        image: 0,
        slot: i,
        version: slot.info.version,
        hash: Buffer.from(slot.info.hash),
        bootable: true,
        pending: i === 1 && this.pending !== 'none',
        confirmed: i === 0 && this.primaryConfirmed,
        active: i === 0,
        permanent: i === 1 && this.pending === 'permanent',
      });
    });
    return list;
  }

  private stateWrite(
    req: CborMap,
    groupError: (g: number, v2: number, v1: number) => DeviceAnswer,
    answer: (p: CborMap) => DeviceAnswer,
  ): DeviceAnswer {
    const confirm = req.confirm === true;
    if (!(req.hash instanceof Uint8Array)) {
      if (!confirm) return groupError(1, IMG_ERR.hashNotFound, MGMT_EINVAL);
      this.primaryConfirmed = true;
      return answer({ images: this.imageList() });
    }
    const hash = Buffer.from(req.hash);
    const index = this.slots.findIndex((s) => s && hash.equals(Buffer.from(s.info.hash)));
    if (index < 0) return groupError(1, IMG_ERR.hashNotFound, MGMT_EINVAL);
    if (index === 0) {
      if (!confirm) return groupError(1, IMG_ERR.testToActiveDenied, MGMT_EBADSTATE);
      this.primaryConfirmed = true;
    } else {
      this.pending = confirm ? 'permanent' : 'test';
    }
    return answer({ images: this.imageList() });
  }

  private upload(
    req: CborMap,
    groupError: (g: number, v2: number, v1: number) => DeviceAnswer,
    answer: (p: CborMap, extra?: Partial<DeviceAnswer>) => DeviceAnswer,
  ): DeviceAnswer {
    const ok = (off: number, flashBytes = 0) =>
      answer(this.recovery ? { rc: 0, off } : { off }, { flashBytes });
    const off = req.off;
    const data = req.data;
    if (typeof off !== 'number' || !(data instanceof Uint8Array)) {
      return groupError(1, IMG_ERR.invalidOffset, MGMT_EINVAL);
    }
    const targetSlot = this.recovery ? 0 : 1;
    if (off === 0) {
      const len = req.len;
      if (typeof len !== 'number' || len <= 0) return groupError(1, IMG_ERR.invalidLength, MGMT_EINVAL);
      const sha = req.sha instanceof Uint8Array ? Buffer.from(req.sha) : undefined;
      const s = this.session;
      if (!this.recovery && s && sha && s.sha?.equals(sha) && s.len === len && s.off > 0) {
        this.stats.uploadResumes++;
        return ok(s.off);
      }
      if (len > this.config.slotSize) return groupError(1, IMG_ERR.tooLarge, MGMT_EINVAL);
      if (!this.recovery && !this.primaryConfirmed) {
        // the secondary slot holds the image to revert to while a test image runs
        return groupError(1, IMG_ERR.noFreeSlot, MGMT_EBADSTATE);
      }
      this.slots[targetSlot] = undefined;
      if (targetSlot === 1) this.pending = 'none';
      this.session = { slot: targetSlot, sha, len, off: 0, bytes: Buffer.alloc(len) };
      this.stats.uploadStarts++;
    }
    const s = this.session;
    if (!s || off !== s.off) return ok(s?.off ?? 0);
    if (off + data.length > s.len) return groupError(1, IMG_ERR.overrun, MGMT_EINVAL);
    s.bytes.set(data, off);
    s.off += data.length;
    this.stats.uploadBytesWritten += data.length;
    if (s.off === s.len) {
      if (s.sha && !createHash('sha256').update(s.bytes).digest().equals(s.sha)) {
        this.session = undefined;
        return groupError(1, IMG_ERR.invalidHash, MGMT_EINVAL);
      }
      let info: McubootImageInfo;
      try {
        info = parseMcubootImage(s.bytes);
      } catch {
        this.session = undefined;
        return groupError(1, IMG_ERR.invalidMagic, MGMT_EINVAL);
      }
      if (!imageHashValid(s.bytes, info)) {
        this.session = undefined;
        return groupError(1, IMG_ERR.invalidHash, MGMT_EINVAL);
      }
      this.slots[s.slot] = { bytes: s.bytes, info };
    }
    return ok(s.off, data.length);
  }

  /**
   * What MCUboot does on reset. `refuseBoot` says whether a newly swapped-in image fails to boot (the
   * fault `refuse-boot`): MCUboot then swaps back at once. Returns what happened, for logs.
   */
  boot(refuseBoot: () => boolean): 'swap-test' | 'swap-permanent' | 'revert' | 'refused' | 'plain' {
    this.stats.boots++;
    this.session = undefined;
    if (this.recovery) return 'plain';
    if (this.pending !== 'none' && this.slots[1]) {
      const permanent = this.pending === 'permanent';
      this.pending = 'none';
      this.swap();
      this.primaryConfirmed = permanent;
      if (refuseBoot()) {
        this.stats.refusedBoots++;
        this.swap();
        this.primaryConfirmed = true;
        return 'refused';
      }
      return permanent ? 'swap-permanent' : 'swap-test';
    }
    if (!this.primaryConfirmed && this.slots[1]) {
      this.swap();
      this.primaryConfirmed = true;
      return 'revert';
    }
    this.primaryConfirmed = true;
    return 'plain';
  }

  private swap(): void {
    const [a, b] = this.slots;
    this.slots[0] = b;
    this.slots[1] = a;
  }
}
