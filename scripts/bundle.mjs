#!/usr/bin/env node
// Bundle the whole CLI (every command, including the boot stage) into one ESM file,
// build/oroot.mjs, runnable by Node 18 with no node_modules beside it.
//
// One file matters at boot: between `mount --move $rootmnt /media/root-ro` and the overlay mount
// the stage's own directory is empty, so nothing may be loaded lazily from disk in that window.
// Lazy `await import()`s inside the code are bundled too (esbuild inlines them), they just run later.
//
// The one exception is systeminformation (used by `oroot status` only): it is more than half of
// the code, and Node parses every byte of the file it starts, so it would slow every boot for a
// command the boot never runs. It goes to build/systeminformation.cjs beside the bundle, which
// imports it from there.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(repo, 'build', 'oroot.mjs');
const apartFile = 'systeminformation.cjs';

const keepApart = {
  name: 'systeminformation-apart',
  setup(context) {
    context.onResolve({ filter: /^systeminformation$/ }, () => ({ path: `./${apartFile}`, external: true }));
  },
};

await build({
  entryPoints: [createRequire(import.meta.url).resolve('systeminformation')],
  outfile: path.join(repo, 'build', apartFile),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  legalComments: 'none',
  logLevel: 'warning',
});

const result = await build({
  absWorkingDir: repo,
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  // CommonJS dependencies (commander, systeminformation) call require() for Node built-ins; an ES
  // module has no require, so give the bundle one.
  banner: { js: "import { createRequire as __orootCreateRequire } from 'node:module';\nconst require = __orootCreateRequire(import.meta.url);" },
  plugins: [keepApart],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const bytes = statSync(outfile).size;
const byPackage = new Map();
for (const [file, info] of Object.entries(result.metafile.outputs[path.relative(repo, outfile)].inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  const owner = match ? match[1] : 'oroot';
  byPackage.set(owner, (byPackage.get(owner) ?? 0) + info.bytesInOutput);
}
const parts = [...byPackage].sort((a, b) => b[1] - a[1]).map(([name, size]) => `${name} ${kib(size)}`);
console.log(`build/oroot.mjs: ${kib(bytes)} (${parts.join(', ')}); build/${apartFile}: ${kib(statSync(path.join(repo, 'build', apartFile)).size)}`);

function kib(size) {
  return `${(size / 1024).toFixed(0)} KiB`;
}
