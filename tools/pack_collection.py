# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pack an installed collection (e.g. from the `ansible` pip package) back
into a tarball that `ansible-galaxy collection install` accepts offline.

The pip package drops files that FILES.json still lists, so FILES.json is
rewritten for the files present, and MANIFEST.json gets its new checksum.
Used by `make ee`: Galaxy is not reachable from these machines.
Usage: pack_collection.py <namespace.name> <output.tar.gz>
"""

import hashlib
import importlib
import io
import json
import os
import sys
import tarfile


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def main(fqcn, output):
    root = importlib.import_module("ansible_collections." + fqcn).__path__[0]
    files = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    payload = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir != ".":
            files.append({"name": rel_dir, "ftype": "dir", "chksum_type": None, "chksum_sha256": None,
                          "format": 1})
            payload.append((rel_dir, None))
        for name in sorted(filenames):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel in ("MANIFEST.json", "FILES.json") or name.endswith(".pyc"):
                continue
            with open(os.path.join(dirpath, name), "rb") as handle:
                data = handle.read()
            files.append({"name": rel, "ftype": "file", "chksum_type": "sha256", "chksum_sha256": sha256(data),
                          "format": 1})
            payload.append((rel, data))
    files_json = json.dumps({"files": files, "format": 1}, indent=4).encode("utf-8")
    with open(os.path.join(root, "MANIFEST.json"), "rb") as handle:
        manifest = json.load(handle)
    manifest["file_manifest_file"]["chksum_sha256"] = sha256(files_json)
    manifest_json = json.dumps(manifest, indent=4).encode("utf-8")
    with tarfile.open(output, "w:gz") as tar:
        for rel, data in [("MANIFEST.json", manifest_json), ("FILES.json", files_json)] + payload:
            info = tarfile.TarInfo(rel)
            if data is None:  # ansible-galaxy extracts every directory FILES.json lists
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
