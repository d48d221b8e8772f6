#!/usr/bin/env node
/**
 * soup-agent: one executable for the daemon, its tools, server-lite, the simulators and the demo
 * (`docs/cli.md`). Each command lives in its own file and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { oneLine } from '../lib/errors.js';
import { exitCodeOf } from './exit.js';
import { AGENT_VERSION } from './version.js';

type Register = (program: Command) => void;

/**
 * Each command's module is imported only when that command runs: `soup-agent status` on a small gateway
 * must not load server-lite, the simulators and every protocol stack first.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run.js')).registerRun,
  status: async () => (await import('./status.js')).registerStatus,
  report: async () => (await import('./report.js')).registerReport,
  check: async () => (await import('./check.js')).registerCheck,
  consent: async () => (await import('./consent.js')).registerConsent,
  install: async () => (await import('./install.js')).registerInstall,
  bundle: async () => (await import('./bundle.js')).registerBundle,
  feedback: async () => (await import('./feedback.js')).registerFeedback,
  sign: async () => (await import('./sign.js')).registerSign,
  keygen: async () => (await import('./keygen.js')).registerKeygen,
  'server-lite': async () => (await import('./server-lite.js')).registerServerLite,
  simulate: async () => (await import('./simulate.js')).registerSimulate,
  demo: async () => (await import('./demo.js')).registerDemo,
  'systemd-dropin': async () => (await import('./systemd-dropin.js')).registerSystemdDropin,
};

/** The command named on the command line, when it is a known one (else help or an error needs them all). */
function requestedCommand(argv: string[]): string | undefined {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('soup-agent')
    .description('System software updates for gateways and the modules attached to them')
    .version(AGENT_VERSION)
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const only = requestedCommand(argv);
  const args = argv.slice(2);
  const versionOnly =
    args.length > 0 && args.every((a) => a === '-V' || a === '--version' || a === '--debug');
  const names = only !== undefined ? [only] : versionOnly ? [] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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
