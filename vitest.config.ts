import { defineConfig } from 'vitest/config';

// Three levels of proof (see docs/testing.md):
//   unit        pure logic, anywhere, fast
//   integration real tools on this machine as root: loop devices, mounts, cryptsetup, cloud-init
//   e2e         a Debian kernel booted under QEMU with an initramfs built by our hook
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Mounts, loop devices and namespaces are machine-global: one file at a time.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 3_600_000,
          // One guest at a time: boots share the image cache and the machine's cores.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
