/** A valid recipe file, as in `recipe-file.md`'s example, for tests to copy and break. */
import type { RecipeFile } from '../../src/recipe/types.js';

export const SHA_BRAKE = 'b'.repeat(64);
export const SHA_PRE = '1'.repeat(64);
export const SHA_NOTES = '5'.repeat(64);

export function exampleRecipeFile(): RecipeFile {
  return {
    _recipe: {
      id: '42',
      'schema-version': '1.0',
      name: 'gw-fleet-A',
      description: 'Q4 brake + gateway update',
      published: '2026-11-20T10:00:00Z',
      versionProperties: ['hwVersion', 'swVersion', 'SwRevision'],
    },
    software: {
      version: '2.1.0',
      scripts: [{ id: '901', type: 'preinstall', byteSize: 312, filename: 'pre.sh', sha256: SHA_PRE }],
      images: [
        {
          _module: {
            name: 'brake',
            description: 'brake ECUs',
            match: { $and: [{ 'module-id': '4711' }, { hwVersion: { $in: ['1.7', '1.8', '2.5'] } }] },
            matchCount: { count: { $gte: 1 } },
          },
          _software: {
            softwareId: '77',
            name: 'brake-fw',
            artifacts: [
              {
                id: '903',
                type: 'firmware',
                byteSize: 1048576,
                filename: 'brake-2.1.0.bin',
                sha256: SHA_BRAKE,
              },
            ],
          },
          type: 'uds-flash',
          filename: 'brake-2.1.0.bin',
          version: '2.1.0',
          sha256: SHA_BRAKE,
        },
      ],
      _noImage: [
        {
          _module: {
            name: 'display',
            description: '',
            match: { 'module-id': '5000' },
            matchCount: { count: { $lt: 2 } },
          },
        },
        {
          _module: {
            name: 'gateway',
            description: '',
            match: { 'module-id': 'gw' },
            matchCount: { count: { $eq: 1 } },
          },
        },
      ],
      _systemArtifacts: [
        {
          softwareId: '79',
          name: 'scripts',
          artifacts: [{ id: '901', type: 'preinstall', byteSize: 312, filename: 'pre.sh', sha256: SHA_PRE }],
        },
        {
          softwareId: '80',
          name: 'release-notes',
          artifacts: [
            { id: '905', type: 'releasenotes', byteSize: 2048, filename: 'notes.md', sha256: SHA_NOTES },
          ],
        },
      ],
    },
  };
}
