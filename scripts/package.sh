#!/bin/sh
# Build build/oroot_<version>_<arch>.deb from the bundle (scripts/bundle.mjs), the native addon
# (scripts/build-native.sh), the initramfs-tools hook and boot script, and the man page. Run through
# `npm run package`, which bundles and builds the addon first. The addon is native code for this
# machine, so the package's architecture is this machine's.
#
# The package is reproducible: every file gets the same mtime (SOURCE_DATE_EPOCH, the last commit's
# time when there is one) and dpkg-deb clamps its own timestamps to it, so identical inputs give a
# byte-identical .deb (the e2e harness caches guest images by its hash).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

version=$(node -p "require('./package.json').version")
description=$(node -p "require('./package.json').description")
bundle=build/oroot.mjs
arch=$(dpkg --print-architecture)
deb=build/oroot_${version}_${arch}.deb
stage=build/deb-root

for built in "$bundle" build/oroot-boot.cjs build/systeminformation.cjs build/oroot-sys.node; do
	[ -f "$built" ] || { echo "package: $built is missing; run npm run bundle first" >&2; exit 1; }
done
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)
fi
export SOURCE_DATE_EPOCH

rm -rf "$stage"
umask 022
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/oroot" "$stage/usr/share/man/man8" \
	"$stage/usr/share/doc/oroot" "$stage/usr/share/initramfs-tools/hooks" \
	"$stage/usr/share/initramfs-tools/scripts/init-bottom"

install -m 0644 "$bundle" "$stage/usr/lib/oroot/oroot.mjs"
install -m 0644 build/oroot-boot.cjs "$stage/usr/lib/oroot/oroot-boot.cjs"
install -m 0755 packaging/prepare-boot-runtime.cjs "$stage/usr/lib/oroot/prepare-boot-runtime.cjs"
install -m 0644 build/systeminformation.cjs "$stage/usr/lib/oroot/systeminformation.cjs"
install -m 0644 build/oroot-sys.node "$stage/usr/lib/oroot/oroot-sys.node"
install -m 0755 initramfs-hooks/initramfs-tools/hooks/oroot "$stage/usr/share/initramfs-tools/hooks/oroot"
install -m 0755 initramfs-hooks/initramfs-tools/scripts/init-bottom/oroot \
	"$stage/usr/share/initramfs-tools/scripts/init-bottom/oroot"
gzip -9n <packaging/oroot.8 >"$stage/usr/share/man/man8/oroot.8.gz"
chmod 0644 "$stage/usr/share/man/man8/oroot.8.gz"

# The command: the same runtime choice as the boot stage (a private runtime wins).
cat >"$stage/usr/bin/oroot" <<'EOF'
#!/bin/sh
# oroot: run the bundled CLI with Node.js (see oroot(8)).
if [ -x /usr/lib/oroot/node ]; then
	exec /usr/lib/oroot/node /usr/lib/oroot/oroot.mjs "$@"
fi
exec node /usr/lib/oroot/oroot.mjs "$@"
EOF
chmod 0755 "$stage/usr/bin/oroot"

cat >"$stage/usr/share/doc/oroot/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: oroot

Files: *
License: GPL-3.0-or-later
 On Debian systems, the complete text of the GNU General Public License version 3
 can be found in /usr/share/common-licenses/GPL-3.
EOF
for doc in docs/*.md; do
	[ -f "$doc" ] && install -m 0644 "$doc" "$stage/usr/share/doc/oroot/"
done

# The boot stage starts from a V8 startup snapshot made by the root's own Node.js
# (prepare-boot-runtime.cjs): made at configure time, made again whenever /usr/bin/node changes
# (a file trigger: nodejs and its libnode are upgraded together), removed before the package's
# files are. If it cannot be made, the boot stage runs the plain bundle (slower, never broken), so
# that never fails the installation.
# The initramfs is rebuilt through initramfs-tools' dpkg trigger, as Debian packages with hooks
# do: one rebuild at the end of the dpkg run, however many packages asked for it.
cat >"$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
prepare_boot_runtime() {
	for node in /usr/lib/oroot/node /usr/bin/node /usr/bin/nodejs; do
		[ -x "$node" ] || continue
		"$node" /usr/lib/oroot/prepare-boot-runtime.cjs || true
		return 0
	done
	echo "oroot: no Node.js found; the boot stage cannot run until nodejs is installed" >&2
}
case "$1" in
configure)
	prepare_boot_runtime
	if command -v update-initramfs >/dev/null 2>&1; then
		dpkg-trigger --no-await update-initramfs || update-initramfs -u
	fi
	;;
triggered)
	prepare_boot_runtime
	;;
esac
exit 0
EOF
cat >"$stage/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
# Generated files first, so that dpkg can remove /usr/lib/oroot.
rm -rf /usr/lib/oroot/boot-runtime /usr/lib/oroot/.boot-runtime-*
exit 0
EOF
cat >"$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && command -v update-initramfs >/dev/null 2>&1; then
	dpkg-trigger --no-await update-initramfs || update-initramfs -u
fi
exit 0
EOF
printf 'interest-noawait /usr/bin/node\n' >"$stage/DEBIAN/triggers"
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
chmod 0644 "$stage/DEBIAN/triggers"

installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: oroot
Version: $version
Architecture: $arch
Maintainer: oroot developers <oroot@localhost>
Installed-Size: $installed_size
Depends: nodejs (>= 18), cryptsetup-bin, e2fsprogs, initramfs-tools, util-linux, mount, kmod
Conflicts: overlayroot
Section: admin
Priority: optional
Description: $description
 An initramfs stage that keeps what a machine writes on an overlay root whose
 upper layer is a tmpfs, a device, or a dm-crypt volume keyed at boot, reading
 the overlayroot= configuration of Debian's overlayroot package; it fails safe
 (never writes clear text where encryption was asked for). Also builds
 cloud-init user-data that seeds /dev/urandom at first boot, and config disks.
EOF

(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k 2) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb: $(du -k "$deb" | cut -f1) KiB, installs $installed_size KiB"
