"""List conda packages, zips and tars the way Python-based clients read them, as JSON on stdout.

Usage: list.py MODE PATH...   MODE is `package` (conda-package-streaming: what conda itself uses),
`zip` (zipfile: names, sizes, content digests), `tar` (a plain, uncompressed tar through tarfile),
`index` (info/index.json as conda reads it) or `extract` (conda_package_streaming.extract, as conda
installs a package: both parts of a .conda into one folder, then every file and symlink in it).
One JSON object per PATH, in order: {"members": {...}} or {"error": "..."}.
"""

import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile


def kind(m):
    if m.isreg():
        return "file"
    if m.isdir():
        return "directory"
    if m.issym():
        return "symlink"
    if m.islnk():
        return "hardlink"
    return "other:" + m.type.decode("latin1")


def member(tar, m):
    t = kind(m)
    entry = {
        "path": m.name.rstrip("/") if t == "directory" else m.name,
        "type": t,
        "link": m.linkname if t in ("symlink", "hardlink") else None,
        "size": m.size if t == "file" else 0,
    }
    if t == "file":
        entry["sha256"] = hashlib.sha256(tar.extractfile(m).read()).hexdigest()
    return entry


def list_package(path):
    from conda_package_streaming.package_streaming import stream_conda_component

    parts = ["info", "pkg"] if path.endswith(".conda") else ["pkg"]
    out = {}
    for part in parts:
        out[part if path.endswith(".conda") else "tar"] = [
            member(tar, m) for tar, m in stream_conda_component(path, component=part)
        ]
    return out


def list_zip(path):
    with zipfile.ZipFile(path) as z:
        return {
            "zip": [
                {"name": i.filename, "size": i.file_size, "sha256": hashlib.sha256(z.read(i)).hexdigest()}
                for i in z.infolist()
            ]
        }


def list_tar(path):
    with tarfile.open(path, mode="r:") as tar:
        return {"tar": [member(tar, m) for m in tar]}


def read_index(path):
    from conda_package_streaming.package_streaming import stream_conda_info

    for tar, m in stream_conda_info(path):
        if m.name == "info/index.json":
            return {"index": json.loads(tar.extractfile(m).read().decode("utf-8"))}
    raise LookupError("no info/index.json")


def walk(root):
    """Every file and symlink below root, as members (directories are left out: extraction makes parents)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                out.append({"path": rel, "type": "symlink", "link": os.readlink(full), "size": 0})
            elif os.path.isfile(full):
                with open(full, "rb") as f:
                    data = f.read()
                out.append(
                    {"path": rel, "type": "file", "link": None, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                )
    return sorted(out, key=lambda m: m["path"])


def extract(path):
    from conda_package_streaming.extract import extract as cps_extract

    dest = tempfile.mkdtemp(prefix="fg-cps-")
    try:
        cps_extract(path, dest)
        return {"extracted": walk(dest)}
    finally:
        shutil.rmtree(dest)


def main():
    mode, paths = sys.argv[1], sys.argv[2:]
    read = {"package": list_package, "zip": list_zip, "tar": list_tar, "index": read_index, "extract": extract}[mode]
    results = []
    for p in paths:
        try:
            results.append({"members": read(p)})
        except Exception as e:  # any failure is this reader's verdict on the file
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


main()
