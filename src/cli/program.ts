/**
 * The command tree: global options, error and exit-code handling, and the registered commands.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { EXIT_OK, exitCodeOf, formatError } from './errors.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * The command named on the line, if any: the first word that is not an option (nor the value of
 * `--db`). Only that command's module is loaded; help and unknown words load them all.
 */
function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--db') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('holdfast')
    .description(
      'A durable job queue: enqueue, work and inspect jobs in one SQLite file (or PostgreSQL).',
    )
    .version(VERSION, '-V, --version')
    .option(
      '--db <path|url>',
      'SQLite file or postgres:// URL (default: $HOLDFAST_DB, else ./.holdfast/queue.db)',
    )
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Durations: 500ms, 30s, 5m, 1h, 7d.
Exit codes: 0 done; 1 runtime failure (database unusable, no such job or batch);
2 bad arguments or input (nothing was changed). HOLDFAST_DEBUG=1 adds stack traces.`,
    );
  const name = requestedCommand(argv);
  const wanted = commands.filter((entry) => entry.name === name);
  for (const entry of wanted.length > 0 ? wanted : commands) (await entry.load())(program);
  configure(program);
  return program;
}

/** Commander's own errors (unknown option, missing argument) become one `holdfast:` line and exit 2. */
function configure(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    outputError: (text, write) => {
      const message = text
        .trim()
        .replace(/^error: /, '')
        // Commander puts its suggestion on a second line; the contract is one line.
        .replace(/\s*\n\s*\(Did you mean (.*)\?\)$/, '; did you mean $1?')
        .replace(/\s*\n\s*/g, ' ');
      const hint =
        command.name() === 'holdfast' ? 'holdfast --help' : `holdfast ${command.name()} --help`;
      write(`holdfast: ${message} (see ${hint})\n`);
    },
  });
  for (const sub of command.commands) configure(sub);
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    // Commander has already printed its message (help, version, or a usage error).
    if (!(error instanceof CommanderError)) process.stderr.write(formatError(error));
    return exitCodeOf(error);
  }
}
