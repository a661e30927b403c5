"""List conda packages, zips and tars the way Python-based clients read them, as JSON on stdout.

Usage: list.py MODE PATH...   MODE is `package` (conda-package-streaming: what conda itself uses),
`zip` (zipfile: names, sizes, content digests), `tar` (a plain, uncompressed tar through tarfile) or
`index` (info/index.json as conda reads it).
One JSON object per PATH, in order: {"members": {...}} or {"error": "..."}.
"""

import hashlib
import json
import sys
import tarfile
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


def main():
    mode, paths = sys.argv[1], sys.argv[2:]
    read = {"package": list_package, "zip": list_zip, "tar": list_tar, "index": read_index}[mode]
    results = []
    for p in paths:
        try:
            results.append({"members": read(p)})
        except Exception as e:  # any failure is this reader's verdict on the file
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


main()
