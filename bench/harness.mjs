// The QEMU end-to-end harness (test/e2e/harness) is TypeScript. A benchmark that boots guests
// bundles the harness modules it uses with esbuild (a dev dependency) into build/, with
// import.meta.dirname pointed back at the harness directory so that it still finds the repository
// and the files it puts into guests, and imports the bundle.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const harnessDir = path.join(repo, 'test/e2e/harness');

/** Bundle `modules` (file names in test/e2e/harness, e.g. 'qemu.ts') as build/<name>.mjs and import it. */
export async function loadHarness(name, modules) {
  const outfile = path.join(repo, 'build', `${name}.mjs`);
  await build({
    stdin: { contents: modules.map((file) => `export * from './${file}';`).join('\n'), resolveDir: harnessDir, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    define: { 'import.meta.dirname': JSON.stringify(harnessDir) },
    outfile,
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
