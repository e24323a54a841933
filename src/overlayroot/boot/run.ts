// `oroot boot` as one call, for both ways in: the CLI's boot command and the boot-only entry
// (src/boot-main.ts) that the init-bottom script starts. An error that escapes the stage is
// reported and becomes exit status 1 ("nothing done"): never the CLI's 3 for an InputError, which
// the init-bottom script would read as "stop the boot".
import { UsageError } from '../../errors.js';
import { reportError } from '../../report-error.js';
import { createHost } from '../../system/host.js';
import { loadNativeSys } from '../../system/native.js';
import { nativeRunner } from '../../system/spawn.js';
import { VERSION } from '../../version.js';
import { realServices } from '../execute/services.js';
import { EXIT_UNTOUCHED, runBootStage } from './stage.js';

export type StageRunner = (rootmnt: string) => Promise<{ exitStatus: number }>;

/** Where the package installs its addon (mount(2), umount2(2), posix_spawn), on the root filesystem. */
export const SYS_ADDON = '/usr/lib/oroot/oroot-sys.node';

/**
 * The real stage. It mounts with mount(2) and starts programs with posix_spawn through the addon,
 * never through child_process: under emulation, loading child_process and forking the whole Node
 * process cost more than the programs themselves (docs/design.md). The addon is loaded from the
 * root before anything moves it (a loaded library stays mapped); without it the stage runs
 * mount(8) and child_process, slower but the same.
 */
const realStage: StageRunner = (rootmnt) => {
  const loaded = loadNativeSys(`${rootmnt}${SYS_ADDON}`);
  const host = createHost(loaded.ok ? { mounts: loaded.sys, run: nativeRunner(loaded.sys) } : {});
  const notes = loaded.ok ? [] : [`mounting with mount(8) and starting programs with child_process: ${loaded.reason}`];
  return runBootStage(host, { rootmnt, services: realServices(), notes });
};

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
