#!/usr/bin/env node
// Bundle the whole CLI (every command, including the boot stage) into one ESM file,
// build/oroot.mjs, runnable by Node 18 with no node_modules beside it; and the boot stage alone
// (src/boot-main.ts) into build/oroot-boot.cjs, which the init-bottom script runs.
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
const bootFile = path.join(repo, 'build', 'oroot-boot.cjs');
const apartFile = 'systeminformation.cjs';

const keepApart = {
  name: 'systeminformation-apart',
  setup(context) {
    context.onResolve({ filter: /^systeminformation$/ }, () => ({ path: `./${apartFile}`, external: true }));
  },
};

/**
 * The boot bundle is also the source of a V8 startup snapshot (packaging/prepare-boot-runtime.cjs),
 * and Node 18 cannot put child_process in one. So the bundle gets child_process at its first
 * spawn, not at load: a stand-in module forwards `spawn` (the only function the stage uses; any
 * other import of child_process fails this build, loudly).
 */
const childProcessAtFirstSpawn = {
  name: 'child-process-at-first-spawn',
  setup(context) {
    context.onResolve({ filter: /^(node:)?child_process$/ }, ({ namespace }) =>
      namespace === 'deferred' ? { path: 'node:child_process', external: true } : { path: 'child_process', namespace: 'deferred' },
    );
    context.onLoad({ filter: /.*/, namespace: 'deferred' }, () => ({
      contents: "let real;\nexport function spawn(...args) {\n  real ??= require('node:child_process');\n  return real.spawn(...args);\n}\n",
      loader: 'js',
    }));
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

// CommonJS: `node --build-snapshot` takes a script, not an ES module.
await build({
  absWorkingDir: repo,
  entryPoints: ['src/boot-main.ts'],
  outfile: bootFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  plugins: [childProcessAtFirstSpawn],
  legalComments: 'none',
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
console.log(`build/oroot.mjs: ${kib(bytes)} (${parts.join(', ')}); build/${apartFile}: ${kib(statSync(path.join(repo, 'build', apartFile)).size)}; build/oroot-boot.cjs: ${kib(statSync(bootFile).size)}`);

function kib(size) {
  return `${(size / 1024).toFixed(0)} KiB`;
}
