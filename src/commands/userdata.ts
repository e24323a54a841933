// `oroot userdata`: cloud-init user-data that appends a locally generated seed to /dev/urandom
// at first boot. Flags only; the work is in src/cloudinit (loaded when the command runs).
import type { CommandSpec } from './spec.js';

const EXAMPLES = `
Examples:
  # One instance (text user-data; the AWS CLI base64-encodes it for you)
  $ oroot userdata > user-data
  $ aws ec2 run-instances --image-id ami-… --user-data file://user-data

  # Add the seed to the user-data you already launch with (cloud-config, MIME, script, gzip …)
  $ oroot userdata --merge my-cloud-config.yaml --output user-data

  # gzip output is binary: write it to a file and pass it with fileb://
  $ oroot userdata --merge big.yaml --gzip --output user-data.gz
  $ aws ec2 run-instances … --user-data fileb://user-data.gz

  # A fleet: 100 files, each with its own seed, mode 0600
  $ oroot userdata --count 100 --out-dir seeds/

  # OpenStack's larger limit, and a random_seed stanza as well
  $ oroot userdata --limit openstack --random-seed --output user-data
  $ openstack server create --user-data user-data …

What the output does: cloud-init's write_files writes the seed to /dev/urandom with
permissions '0666' and owner root:root (restating the device's normal mode; the widely
copied 2012 recipe used "perms:", which cloud-init never read, and left the device at
0644). The kernel mixes the bytes into its pool but does not credit them as entropy.
The seed is readable by anyone who can read the instance's user-data.

--random-seed also emits cloud-init's random_seed: stanza (same bytes). seed_random
appends to the file without any chmod, but some distributions' cloud.cfg do not run
seed_random, which is why the write_files entry is always there too.

Exit status: 0 done, 2 bad flags or output that cannot fit, 3 invalid --merge input.
See docs/userdata.md for launchers (AWS, euca2ools, OpenStack, Terraform) and limits.
`;

export const userdataCommand: CommandSpec = {
  name: 'userdata',
  summary: 'Write cloud-init user-data that seeds /dev/urandom at first boot',
  example: 'oroot userdata > user-data && aws ec2 run-instances --image-id ami-… --user-data file://user-data',
  define(command) {
    command
      .option('-b, --bytes <n>', 'seed size in bytes, 32 to 8192 (default: 512)')
      .option('--source <path>', 'read the seed from this file or device (e.g. /dev/random, /dev/hwrng) instead of the OS CSPRNG (default: csprng, i.e. node:crypto)')
      .option('--random-seed', 'also emit a random_seed: stanza for cloud-init\'s seed_random module (see below)')
      .option('-m, --merge <file>', 'add the seed to this existing user-data (#cloud-config, MIME multipart, #! script, #include, #cloud-boothook, jinja, archive, or gzip of one of these); - reads stdin. Invalid input is refused with its line and column')
      .option('--limit <platform|bytes>', 'size limit to check: ec2 or eucalyptus (16384 raw bytes), openstack (49149 raw, i.e. 65535 base64), none, or a byte count from 1 to 1048576 (default: ec2)')
      .option('--gzip', 'always gzip the output (binary: use fileb:// or user_data_base64). Default: gzip only when needed to fit --limit, or when the --merge input was gzip')
      .option('--no-gzip', 'never gzip; refuse if the text does not fit --limit')
      .option('-o, --output <file>', 'write to FILE, created with mode 0600 (default: stdout)')
      .option('-n, --count <n>', 'with --out-dir: write N files (1 to 100000), each with its own seed')
      .option('--out-dir <dir>', 'directory for --count files user-data-0001, user-data-0002 …, mode 0600 (created if missing)')
      .option('-f, --force', 'replace existing --output or --out-dir files')
      .option('-v, --verbose', 'print sizes (raw and base64) and how --merge input was read, on stderr')
      .addHelpText('after', EXAMPLES)
      .action(async (flags: Record<string, unknown>) => {
        const { generateUserData } = await import('../cloudinit/generate.js');
        await generateUserData(flags);
      });
  },
};
