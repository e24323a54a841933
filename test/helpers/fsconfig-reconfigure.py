#!/usr/bin/env python3
"""Reconfigure a mounted filesystem the way util-linux >= 2.39 does on `mount -o remount`: pick its
superblock with fspick(2), hand each filesystem option of the fstab line to fsconfig(2), then
FSCONFIG_CMD_RECONFIGURE, and apply the per-mount flags with mount_setattr(2). (util-linux 2.38,
as on Debian 12, still uses mount(2) with MS_REMOUNT, where overlayfs silently ignores its
options.) Prints one JSON object.

usage: fsconfig-reconfigure.py MOUNTPOINT OPTIONS
"""
import ctypes
import json
import os
import sys

SYS_FSCONFIG, SYS_FSPICK, SYS_MOUNT_SETATTR = 431, 433, 442  # the same numbers on every architecture
FSPICK_CLOEXEC, FSPICK_NO_AUTOMOUNT = 1, 4
FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, FSCONFIG_CMD_RECONFIGURE = 0, 1, 7
AT_FDCWD = -100
MOUNT_ATTR = {"ro": 0x1, "nosuid": 0x2, "nodev": 0x4, "noexec": 0x8}
INVERSE = {"rw": "ro", "suid": "nosuid", "dev": "nodev", "exec": "noexec"}

# Options mount(8) keeps to itself, and per-mount flags it applies with mount_setattr(2):
# neither reaches the filesystem's parser.
USERSPACE = {"defaults", "auto", "noauto", "nofail", "_netdev", "nobootwait", "user", "users", "nouser", "owner", "group"}
PER_MOUNT = {"suid", "nosuid", "dev", "nodev", "exec", "noexec", "atime", "noatime", "diratime", "nodiratime",
             "relatime", "norelatime", "strictatime", "nostrictatime", "symfollow", "nosymfollow"}
# Superblock flags the VFS itself takes from fsconfig before the filesystem sees anything.
VFS_FLAGS = {"ro", "rw", "sync", "async", "dirsync", "lazytime", "nolazytime", "mand", "nomand"}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(*args):
    result = libc.syscall(*args)
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result


def kernel_messages(fd):
    lines = []
    while True:
        try:
            lines.append(os.read(fd, 4096).decode().strip())
        except OSError:
            return lines


def main():
    target, options = sys.argv[1], sys.argv[2]
    fd = call(SYS_FSPICK, AT_FDCWD, target.encode(), FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT)
    sent = []
    try:
        for option in filter(None, options.split(",")):
            if option in USERSPACE or option in PER_MOUNT or option.startswith("x-"):
                continue
            key, _, value = option.partition("=")
            sent.append(option)
            if value:
                call(SYS_FSCONFIG, fd, FSCONFIG_SET_STRING, key.encode(), value.encode(), 0)
            else:
                call(SYS_FSCONFIG, fd, FSCONFIG_SET_FLAG, key.encode(), None, 0)
        call(SYS_FSCONFIG, fd, FSCONFIG_CMD_RECONFIGURE, None, None, 0)
        set_attr = clear_attr = 0
        for option in options.split(","):
            if option in MOUNT_ATTR:
                set_attr, clear_attr = set_attr | MOUNT_ATTR[option], clear_attr & ~MOUNT_ATTR[option]
            elif option in INVERSE:
                set_attr, clear_attr = set_attr & ~MOUNT_ATTR[INVERSE[option]], clear_attr | MOUNT_ATTR[INVERSE[option]]
        attr = (ctypes.c_uint64 * 4)(set_attr, clear_attr, 0, 0)
        call(SYS_MOUNT_SETATTR, AT_FDCWD, target.encode(), 0, ctypes.byref(attr), ctypes.sizeof(attr))
        print(json.dumps({"ok": True, "sent": sent}))
    except OSError as error:
        print(json.dumps({"ok": False, "sent": sent, "error": error.strerror, "kernel": kernel_messages(fd)}))
    finally:
        os.close(fd)


main()
