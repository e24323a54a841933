#!/bin/bash
# First boot of real cloud-init (NoCloud datasource) on a throwaway copy of this machine's root.
#
# usage: sandbox-boot.sh USER_DATA OUT_DIR [file|chardev]
#
# Inside private mount, network and UTS namespaces: a tmpfs holds an overlay whose lower layer
# is the host's / (read-only in effect: every write lands in the tmpfs upper layer), fresh
# /proc, /sys, /dev and /run, then cloud-init runs chrooted in it (nocloud-boot.sh). When the
# namespace ends, every mount and every byte written goes with it; the host's /dev/urandom,
# /var/lib/cloud and /var/log are never touched.
#
# /dev/urandom in the sandbox is either a regular 0666 file (`file`, default) that captures the
# exact bytes cloud-init writes, or a 0666 character device node (`chardev`) to show what happens
# to a device node's mode. That node is 1:3 (null) rather than 1:9: open, O_TRUNC, write and
# chmod behave the same on any character device, and the host kernel's pool is not fed test data.
#
# OUT_DIR receives: urandom.bin (file mode), urandom.stat ("<octal mode> <type>"), upper/ (all
# that cloud-init changed), boot.log (its console output) and rc (exit codes of each stage).
set -euo pipefail
user_data=$(realpath "$1")
out=$(realpath "$2")
mode=${3:-file}
here=$(dirname "$(realpath "$0")")
sandbox=$(mktemp -d /tmp/oroot-ci-sandbox.XXXXXX)
trap 'rmdir "$sandbox" 2>/dev/null || true' EXIT

unshare --mount --net --uts --propagation private /bin/bash -euo pipefail -s -- "$sandbox" "$user_data" "$out" "$mode" "$here" <<'INNER'
sb=$1 user_data=$2 out=$3 mode=$4 here=$5
mount -t tmpfs -o mode=700 oroot-ci "$sb"          # upper and work must not live on the lower fs
mkdir -p "$sb"/upper "$sb"/work "$sb"/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$sb/upper,workdir=$sb/work" "$sb/root"
root=$sb/root
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=755 tmpfs "$root/dev"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/random" c 1 8
if [ "$mode" = chardev ]; then
  mknod -m 666 "$root/dev/urandom" c 1 3
else
  : > "$root/dev/urandom"
  chmod 666 "$root/dev/urandom"
fi
ip link set lo up
hostname oroot-sandbox
mkdir -p "$root/oroot-ci"
cp "$here/nocloud-boot.sh" "$root/oroot-ci/"
cp "$user_data" "$root/oroot-ci/user-data"
set +e
chroot "$root" /bin/bash /oroot-ci/nocloud-boot.sh /oroot-ci/user-data > "$out/boot.log" 2>&1
echo "chroot=$?" >> "$out/rc"
set -e
stat -c '%a %F' "$root/dev/urandom" > "$out/urandom.stat"
[ "$mode" = chardev ] || cp "$root/dev/urandom" "$out/urandom.bin"
cp -a "$sb/upper" "$out/upper"
INNER
