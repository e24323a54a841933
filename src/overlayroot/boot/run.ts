// `oroot boot` as one call, for both ways in: the CLI's boot command and the boot-only entry
// (src/boot-main.ts) that the init-bottom script starts. An error that escapes the stage is
// reported and becomes exit status 1 ("nothing done"): never the CLI's 3 for an InputError, which
// the init-bottom script would read as "stop the boot".
import { UsageError } from '../../errors.js';
import { reportError } from '../../report-error.js';
import { createHost } from '../../system/host.js';
import { VERSION } from '../../version.js';
import { realServices } from '../execute/services.js';
import { EXIT_UNTOUCHED, runBootStage } from './stage.js';

export type StageRunner = (rootmnt: string) => Promise<{ exitStatus: number }>;

const realStage: StageRunner = (rootmnt) => runBootStage(createHost(), { rootmnt, services: realServices() });

/** Run the stage on `rootmnt`; the exit status the init-bottom script acts on (0, 1 or 3). */
export async function runBoot(rootmnt: string, stage: StageRunner = realStage): Promise<number> {
  try {
    return (await stage(rootmnt)).exitStatus;
  } catch (error) {
    reportError(error);
    return EXIT_UNTOUCHED;
  }
}

/**
 * The boot-only entry's words: `boot --rootmnt DIR` (or `--rootmnt=DIR`), as the CLI takes them;
 * or `version`, which prints `oroot-boot VERSION` and touches nothing (how the package checks that
 * a freshly built runtime snapshot starts).
 */
export async function runBootWords(args: readonly string[], stage: StageRunner = realStage): Promise<number> {
  if (args.length === 1 && args[0] === 'version') {
    process.stdout.write(`oroot-boot ${VERSION}\n`);
    return 0;
  }
  let rootmnt: string;
  try {
    rootmnt = rootmntFrom(args);
  } catch (error) {
    reportError(error);
    return EXIT_UNTOUCHED;
  }
  return runBoot(rootmnt, stage);
}

function rootmntFrom(args: readonly string[]): string {
  const [command, flag, ...rest] = args;
  const inline = flag?.startsWith('--rootmnt=') ? flag.slice('--rootmnt='.length) : undefined;
  const [rootmnt, extra] = inline !== undefined ? [inline, rest] : flag === '--rootmnt' ? [rest[0], rest.slice(1)] : [undefined, rest];
  if (command !== 'boot' || !rootmnt?.startsWith('/') || extra.length > 0) {
    throw new UsageError(`unexpected arguments: ${args.join(' ') || '(none)'}`, { hint: 'usage: oroot-boot boot --rootmnt DIR (an absolute path)' });
  }
  return rootmnt;
}
