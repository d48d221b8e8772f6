#!/usr/bin/env node
/**
 * soup-agent: one executable for the daemon, its tools, server-lite, the simulators and the demo
 * (`../shared/spec/agent.md`, "Commands"). Each command lives in its own file and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { oneLine } from '../lib/errors.js';
import { registerBundle } from './bundle.js';
import { registerCheck } from './check.js';
import { registerConsent } from './consent.js';
import { registerDemo } from './demo.js';
import { exitCodeOf } from './exit.js';
import { registerFeedback } from './feedback.js';
import { registerInstall } from './install.js';
import { registerKeygen } from './keygen.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerServerLite } from './server-lite.js';
import { registerSign } from './sign.js';
import { registerSimulate } from './simulate.js';
import { registerStatus } from './status.js';
import { AGENT_VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('soup-agent')
    .description('System software updates for gateways and the modules attached to them')
    .version(AGENT_VERSION)
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of [
    registerRun,
    registerStatus,
    registerReport,
    registerCheck,
    registerConsent,
    registerInstall,
    registerBundle,
    registerFeedback,
    registerSign,
    registerKeygen,
    registerServerLite,
    registerSimulate,
    registerDemo,
  ]) {
    register(program);
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (usage errors, --help, --version)
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (program.opts().debug) console.error(err);
    else process.stderr.write(`soup-agent: ${oneLine(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

await main(process.argv);
