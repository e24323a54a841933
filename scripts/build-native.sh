#!/bin/sh
# Build build/oroot-sys.node (or the path given as $1), the Node-API addon that gives the boot
# stage mount(2), umount2(2) and a process runner without child_process, from native/oroot_sys.c.
# Run by `npm run bundle`.
#
# The output is reproducible (the .deb that carries it is cached by its hash): no build id, no
# symbols, no absolute paths, and nothing taken from the environment but the compiler ($CC).
# The napi_* functions stay undefined here; the Node.js process that loads the addon provides them.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build/oroot-sys.node}
cc=${CC:-cc}
headers=node_modules/node-api-headers/include

cd "$repo"
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "build-native: no C compiler ('$cc') found; install one (Debian: apt-get install gcc libc6-dev) or set CC" >&2
	exit 1
fi
if [ ! -f "$headers/node_api.h" ]; then
	echo "build-native: $headers/node_api.h is missing; run npm ci" >&2
	exit 1
fi

mkdir -p "$(dirname "$out")"
# Compile beside the target and rename, so a reader never sees half a file.
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"$cc" -O2 -Wall -Wextra -fPIC -shared -fvisibility=hidden -I"$headers" -ffile-prefix-map="$repo"=. \
	-Wl,--build-id=none -s -o "$tmp" native/oroot_sys.c
mv -f "$tmp" "$out"
