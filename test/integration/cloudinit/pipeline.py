#!/usr/bin/python3
"""Run cloud-init's own user-data pipeline on one user-data file, offline, inside a temp dir.

Uses the installed Debian `cloudinit` package as a library (nothing of it is copied here):
UserDataProcessor (gzip, MIME, #include, archives, part typing), the cloud-config part handler
(merging of parts, merge_how / X-Merge-Type) and cc_write_files.write_files (encoding, owner,
permissions). Every write_files path is re-rooted under SANDBOX/root, and /dev/urandom there is
pre-created as a 0666 regular file standing in for the device, so the bytes and the mode that
cloud-init leaves can be read back.

usage: /usr/bin/python3 pipeline.py USER_DATA SANDBOX_DIR   -> JSON on stdout
"""
import base64
import json
import os
import sys

from cloudinit import handlers, helpers, user_data, util
from cloudinit.config import cc_write_files
from cloudinit.handlers.cloud_config import CloudConfigPartHandler

CLOUD_CONFIG_TYPES = ("text/cloud-config", "text/cloud-config-jsonp")


def main(user_data_path, sandbox):
    root = os.path.join(sandbox, "root")
    paths = helpers.Paths({"cloud_dir": os.path.join(sandbox, "var/lib/cloud"), "run_dir": os.path.join(sandbox, "run")})
    with open(user_data_path, "rb") as handle:
        blob = handle.read()
    message = user_data.UserDataProcessor(paths).process(blob)

    merger = CloudConfigPartHandler(paths)
    merger.cloud_fn = None  # keep the merged config in memory; write nothing under /var/lib/cloud
    merger.handle_part(None, handlers.CONTENT_START, None, None, None, None)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        payload = util.fully_decoded_payload(part)
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogateescape")
        parts.append({"type": ctype, "filename": part.get_filename(), "payload_b64": base64.b64encode(payload).decode()})
        if ctype in CLOUD_CONFIG_TYPES:
            merger.handle_part(None, ctype, part.get_filename() or "part", util.fully_decoded_payload(part), None, dict(part))
    merged = merger.cloud_buf or {}

    os.makedirs(os.path.join(root, "dev"), exist_ok=True)
    stand_in = os.path.join(root, "dev/urandom")
    with open(stand_in, "wb"):
        pass
    os.chmod(stand_in, 0o666)

    entries = merged.get("write_files") or []
    rerooted = [dict(entry, path=root + os.path.abspath(entry["path"])) for entry in entries if entry.get("path")]
    cc_write_files.write_files("write_files", rerooted, "root:root")

    files = []
    for entry, written in zip(entries, rerooted):
        info = os.stat(written["path"])
        with open(written["path"], "rb") as handle:
            content = handle.read()
        files.append({"path": entry["path"], "mode": info.st_mode & 0o7777, "uid": info.st_uid, "gid": info.st_gid, "content_b64": base64.b64encode(content).decode()})
    json.dump({"parts": parts, "merged_keys": sorted(merged.keys()), "merged": merged, "files": files}, sys.stdout, default=repr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
