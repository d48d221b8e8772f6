/**
 * The suite as vitest projects, each runnable on its own (`npm run test:<project>`):
 *
 *   unit          in-process logic: agent, recipe, inventory, handlers, protocols and simulators
 *                 (in-memory twins, and real pseudo-terminals where the link is the subject)
 *   contract      the same suite run against every implementation of one interface (byte streams,
 *                 frame buses, handlers)
 *   server-lite   server-lite over real HTTP on loopback and real SQLite files
 *   cli           the command line, deployment files, the documentation's checks and the packed package
 *                 (spawns `dist/`: build first)
 *   e2e           server-lite and the agent as separate processes (spawns `dist/`: build first)
 *   fuzz          fast-check properties of the parsers, decoders and server-lite's handlers (FUZZ_RUNS)
 *   campaigns     short seeded fault campaigns with the real processes (spawns `dist/`: build first);
 *                 in full: `bash scripts/campaigns.sh`
 *   stock-client  SWUpdate's suricatta against server-lite (needs `swupdate`, `openssl`)
 *   console       the web console: its routes over HTTP, and Debian's chromium driven by playwright-core
 *                 against server-lite, the agent and simulated modules as processes (build first)
 */
import { defineConfig } from 'vitest/config';

const projects: Record<string, string[]> = {
  contract: ['test/contracts/**/*.test.ts'],
  'server-lite': ['test/server-lite/**/*.test.ts'],
  cli: [
    'test/cli/**/*.test.ts',
    'test/deploy/**/*.test.ts',
    'test/docs/**/*.test.ts',
    'test/packaging/**/*.test.ts',
  ],
  e2e: ['test/e2e/**/*.test.ts'],
  fuzz: ['test/fuzz/**/*.test.ts'],
  campaigns: ['test/campaigns/**/*.test.ts'],
  'stock-client': ['test/stock-client/**/*.test.ts'],
  console: ['test/console/**/*.test.ts'],
};
const elsewhere = Object.values(projects).flat();

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most files wait (on child processes, links at a baud rate, polls) far more than they compute: a
    // serial run of the suite kept one of two cores ~45 % busy. vitest's default on 2 cores is one
    // worker; three overlap the waiting. `--maxWorkers=N` overrides it.
    maxWorkers: 3,
    // every test file works in a temp root of its own, removed after it (test/helpers/temp-root.ts)
    setupFiles: ['test/helpers/temp-root.ts'],
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: elsewhere },
      },
      ...Object.entries(projects).map(([name, include]) => ({
        extends: true as const,
        test: { name, include },
      })),
    ],
  },
});
