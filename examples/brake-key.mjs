/**
 * An example SecurityAccess key module for a CAN ECU (`"security": {"key": "module:/etc/soup-agent/brake-key.mjs"}`
 * in examples/config.json). The OEM's seed/key algorithm stays outside soup-agent: the agent imports this
 * file and calls `key(seed, level)` with the ECU's seed. This one XORs the seed with a fixed mask, as the
 * simulated ECU expects; a real ECU needs its manufacturer's algorithm here.
 */
const MASK = [0xa5, 0xa5, 0xa5, 0xa5];

/**
 * @param {Uint8Array} seed the seed the ECU sent (27 0x01 response)
 * @param {number} level the security level asked for
 * @returns {Uint8Array} the key to send (27 0x02)
 */
export function key(seed, level) {
  if (level !== 1) throw new Error(`no key for security level ${level}`);
  const out = new Uint8Array(seed.length);
  for (let i = 0; i < seed.length; i++) out[i] = seed[i] ^ MASK[i % MASK.length];
  return out;
}
