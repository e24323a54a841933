// The boot-only entry, bundled alone into oroot-boot.cjs: what the init-bottom script runs, as
// `node oroot-boot.cjs boot --rootmnt DIR`. Only the stage's code is in it (no commander, no other
// command): under emulation every byte Node parses at boot costs time. The same file is what the
// V8 startup snapshot is built from (packaging/prepare-boot-runtime.cjs): then every module below is
// evaluated at build time and, at boot, the stage starts from the deserialised heap.
import { rmSync } from 'node:fs';
import v8 from 'node:v8';
import { EXIT_UNTOUCHED } from './overlayroot/boot/policy.js';
import { rehearseBootStage } from './overlayroot/boot/rehearsal.js';
import { runBootWords } from './overlayroot/boot/run.js';
import { reportError } from './report-error.js';

function start(args: readonly string[]): void {
  if (!markBegun()) {
    process.exitCode = EXIT_UNTOUCHED;
    return;
  }
  runBootWords(args).then(
    (status) => (process.exitCode = status),
    (error: unknown) => {
      reportError(error);
      process.exitCode = EXIT_UNTOUCHED;
    },
  );
}

/**
 * The init-bottom script creates the file named by OROOT_BOOT_PENDING before starting Node from the
 * snapshot; removing it is the stage's first act. A file left behind tells the script that none of
 * the stage ran (Node could not load the snapshot), so starting the plain bundle next is safe; for
 * the same reason, when the file cannot be removed the stage does nothing at all.
 */
function markBegun(): boolean {
  const pending = process.env.OROOT_BOOT_PENDING;
  if (!pending) return true;
  try {
    rmSync(pending, { force: true });
    return true;
  } catch (error) {
    reportError(error);
    return false;
  }
}

/**
 * Building the snapshot: rehearse the stage first (boot/rehearsal.ts), so that the code it runs is
 * compiled into the snapshot; Node takes the snapshot once the rehearsal's work is done. A failed
 * rehearsal fails the build: prepare-boot-runtime then keeps no snapshot and the boot starts the
 * plain bundle, slower but the same code.
 */
function buildSnapshot(snapshot: NonNullable<typeof v8.startupSnapshot>): void {
  rehearseBootStage().then(
    (acts) => process.stdout.write(`oroot-boot: rehearsed ${acts.join(', ')}\n`),
    (error: unknown) => {
      reportError(error);
      process.exit(EXIT_UNTOUCHED);
    },
  );
  snapshot.setDeserializeMainFunction(() => start(process.argv.slice(1)));
}

// From a snapshot, argv is [node, …words]; from the plain bundle, [node, file, …words]. Imported
// as a module (tests, dist/), it starts nothing.
const snapshot = v8.startupSnapshot;
if (snapshot?.isBuildingSnapshot()) buildSnapshot(snapshot);
else if (typeof require !== 'undefined' && require.main === module) start(process.argv.slice(2));
