"""Run inside a container of a baked project's image (python - MODE PACKAGE [NAMES...] on stdin).

It reports, as JSON, what only the container's own processes can see. `app` runs as the image's
user: who owns /data, what of the installed package it could write. `root` looks at the whole
image: the package's files, compilers, pip's and uv's caches, and the files named NAMES (the
project's tests) wherever they are. Who runs PID 1 is `podman top`'s answer, from outside.
"""

import hashlib
import json
import os
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

TOPS = ("/bin", "/etc", "/home", "/opt", "/root", "/srv", "/tmp", "/usr", "/var", "/data")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_app(package: Path) -> dict[str, object]:
    data = os.stat("/data")
    return {
        "data_owner": f"{data.st_uid}:{data.st_gid}",
        "package_writable": [
            str(path) for path in [package, *package.rglob("*")] if os.access(path, os.W_OK)
        ],
    }


def as_root(package: Path, names: set[str]) -> dict[str, object]:
    found = []
    for top in TOPS:
        for folder, _dirs, files in os.walk(top):
            found += [f"{name} {digest(Path(folder, name))}" for name in names.intersection(files)]
    homes = [Path("/root"), *Path("/home").glob("*")]
    caches = [home / ".cache" / tool for home in homes for tool in ("pip", "uv")]
    return {
        "package": {
            str(path.relative_to(package)): digest(path)
            for path in package.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        },
        "compilers": [c for c in ("cc", "gcc", "c++", "g++", "clang", "make") if shutil.which(c)],
        "installer_caches": [str(path) for path in caches if path.exists()],
        "tests": found,
    }


def main(mode: str, package_name: str, *names: str) -> None:
    spec = find_spec(package_name)
    assert spec is not None and spec.origin is not None, f"{package_name} is not installed"
    package = Path(spec.origin).parent
    print(json.dumps(as_app(package) if mode == "app" else as_root(package, set(names))))


if __name__ == "__main__":
    main(*sys.argv[1:])
