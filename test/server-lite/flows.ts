/** Recipe flows shared by the tests: promote → sign → (release → approve). */
import { expect } from 'vitest';
import type { Harness } from './harness.js';
import type { TestSigner } from './signer.js';

export async function toReleaseCandidate(h: Harness, recipeId: number, signer: TestSigner): Promise<Buffer> {
  const promoted = await h.mgmt('systems').post(`recipes/${recipeId}/promote`);
  expect(promoted.status, promoted.text).toBe(200);
  const file = (await h.mgmt('reader').get(`recipes/${recipeId}/file`)).bytes;
  const sig = await h
    .mgmt('systems')
    .post(`recipes/${recipeId}/signatures`, { format: 'jws', value: signer.sign(file) });
  expect(sig.status, sig.text).toBe(201);
  return file;
}

export async function toReleased(h: Harness, recipeId: number, signer: TestSigner): Promise<Buffer> {
  const file = await toReleaseCandidate(h, recipeId, signer);
  expect((await h.mgmt('systems').post(`recipes/${recipeId}/release`)).status).toBe(200);
  const approved = await h.mgmt('approver').post(`recipes/${recipeId}/approve`);
  expect(approved.json.lifecycle).toBe('RELEASED');
  return file;
}

/** A recipe of `_noImage` definitions only (no distribution set): match and count per definition. */
export function noImageRecipe(
  name: string,
  version: string,
  defs: [name: string, match: string, count: string][],
) {
  return {
    name,
    version,
    modules: defs.map(([n, match, count]) => ({ name: n, match, count })),
  };
}

export function mod(
  id: string,
  moduleId: string,
  attrs: Record<string, string> = {},
  status?: 'unreachable',
) {
  return {
    id,
    type: moduleId,
    name: id,
    attributes: { 'module-id': moduleId, ...attrs },
    ...(status ? { status } : {}),
  };
}

export function report(cid: string, modules: object[]) {
  return { timestamp: '2026-11-22T10:00:00Z', gatewayId: cid, modules };
}
