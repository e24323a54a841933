// The guest benchmark script: generated from the profiles, committed as bench/cryptsetup-guest.sh,
// valid for busybox sh and dash. Its shell plumbing (rounds, timing, keys on stdin, output lines)
// is checked here with a stand-in cryptsetup that records what it gets; the real cryptsetup runs
// it inside the QEMU guest (docs/cryptsetup.md has the figures).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUEST_FACTS, guestBenchScript, profileCommands, profileFor } from '../../src/cryptsetup-wrap/index.js';
import { repoRoot } from '../helpers/cli.js';
import { requireTool, tempDir } from '../helpers/machine.js';

const committed = path.join(repoRoot, 'bench', 'cryptsetup-guest.sh');

describe('bench/cryptsetup-guest.sh', () => {
  it('is exactly what guestBenchScript() generates (regenerate: bench/cryptsetup --write-guest-script)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(guestBenchScript());
  });

  it('carries each profile\'s exact command lines', () => {
    const script = guestBenchScript();
    for (const name of ['compat', 'ephemeral', 'persistent', 'plain'] as const) {
      const commands = profileCommands(profileFor(name, GUEST_FACTS), { device: '$dev', name: '$name', label: `oroot-${name}` });
      const shell = (argv: readonly string[]) => argv.map((arg) => (arg.startsWith('$') ? `"${arg}"` : arg)).join(' ');
      if (commands.format) expect(script).toContain(shell(commands.format));
      expect(script).toContain(shell(commands.open));
    }
  });

  it.each(['dash', 'busybox'])('parses under %s', (shell) => {
    requireTool(shell);
    const argv = shell === 'busybox' ? ['sh', '-n', committed] : ['-n', committed];
    expect(() => execFileSync(shell, argv)).not.toThrow();
  });

  describe('run under busybox sh with a stand-in cryptsetup', () => {
    const { dir, cleanup } = tempDir();
    afterAll(cleanup);

    it('times every profile each round, feeding keys on stdin only', () => {
      requireTool('busybox');
      const bin = path.join(dir, 'bin');
      const calls = path.join(dir, 'calls');
      mkdirSync(bin);
      mkdirSync(calls);
      // Records argv and stdin of each call in its own numbered file pair.
      writeFileSync(
        path.join(bin, 'cryptsetup'),
        `#!/bin/sh\ncase "$1" in --version) echo "cryptsetup 2.6.1 flags: UDEV"; exit 0;; esac\n` +
          `n=$(ls ${calls} | wc -l)\nprintf '%s\\n' "$*" > ${calls}/$n.argv\ncase "$1" in close) : > ${calls}/$n.stdin;; *) cat > ${calls}/$n.stdin;; esac\n`,
      );
      chmodSync(path.join(bin, 'cryptsetup'), 0o755);
      const device = path.join(dir, 'disk.img');
      writeFileSync(device, '');
      truncateSync(device, 16 * 2 ** 20);
      const output = execFileSync('busybox', ['sh', committed, device, '2'], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` },
      });
      const bench = output.split('\n').filter((line) => line.startsWith('BENCH '));
      expect(bench).toHaveLength(8);
      for (const line of bench) expect(line).toMatch(/^BENCH profile=(compat|ephemeral|persistent|plain) round=[12] format_ms=\d+ open_ms=\d+$/);
      expect(output).toMatch(/^BENCH-INFO cryptsetup=2\.6\.1 kernel=\S+ clock=(date|uptime) rounds=2$/m);
      expect(output.trimEnd().endsWith('BENCH-DONE')).toBe(true);

      const recorded = readdirSync(calls)
        .filter((name) => name.endsWith('.argv'))
        .map((name) => Number.parseInt(name, 10))
        .sort((a, b) => a - b)
        .map((n) => ({ argv: readFileSync(path.join(calls, `${n}.argv`), 'utf8').trim(), stdin: readFileSync(path.join(calls, `${n}.stdin`)) }));
      expect(recorded).toHaveLength(2 * (3 * 3 + 2)); // per round: 3 LUKS profiles × format/open/close, plain open/close
      for (const { argv, stdin } of recorded) {
        if (argv.startsWith('close')) continue;
        if (argv.includes('--type plain')) expect(stdin).toHaveLength(64);
        else expect(stdin.toString()).toMatch(/^[0-9a-f]{128}$/);
        expect(argv).not.toContain(stdin.toString('hex').slice(0, 16));
        expect(argv).not.toContain(stdin.toString().slice(0, 16));
        expect(argv).toContain(device);
      }
      // A fresh key per profile and round.
      const passphrases = recorded.filter(({ argv }) => argv.startsWith('luksFormat')).map(({ stdin }) => stdin.toString());
      expect(new Set(passphrases).size).toBe(passphrases.length);
    });
  });
});
