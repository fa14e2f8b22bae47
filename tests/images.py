"""podman for the image stage: a private store, a stand-in base image, builds that say why.

No container registry is reachable on the machines we test on, so `python:X-slim` cannot be
pulled. The stand-in is Debian bookworm's own Python 3.11 (debootstrap minbase with python3,
pip and venv) imported under every `python:X-slim` name the Dockerfiles use: enough to prove the
Dockerfile's stages, user, paths, entrypoint, healthcheck and drivers, not the real base. Its
root filesystem is made once per machine (about two minutes) and cached as a tarball named by a
hash of the recipe, so a changed recipe makes a new one.

The Dockerfile's RUN steps mount uv from `ghcr.io/astral-sh/uv:<version>`, a scratch image
holding `/uv` and `/uvx`; its stand-in holds the template's own locked uv (requirements-dev.txt),
which must be the version the Dockerfile names.

The store lives in memory (/dev/shm) on a machine with room for it: a build writes its virtualenv
twice (installed, committed as a layer), and three builds at once wait on a virtual disk. The
image stage alone, 18 images, measured on one machine when the virtualenv was still copied
between stages: 705 worker-seconds with the store on disk, 571 in memory, peaking at 2.0 GB
there; 416 in memory since the copy is gone.

Every podman command gets the same store (`--root`, `--runroot`, overlay): podman's default
store here is vfs, and images built in one store are invisible from another. The flags for
running (`runc`, `cgroupfs`, lower ulimits) are the ones that work on this machine; see
TOOL-FACTS.md, "Containers".
"""

from __future__ import annotations

import hashlib
import inspect
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.lock import dockerfile_uv
from tests.bakery import exclusive, run_once
from tests.test_deployment import dockerignored

PODMAN_HINT = "apt-get install -y podman buildah runc debootstrap"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "flask-api-template"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-pip", "python3-venv", "ca-certificates")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# What the real python:X-slim images set and a bare `podman import` would not.
BASE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
    # This machine's bundle (copied in below) for uv too, which otherwise trusts only its own
    # roots: the index is reached through a proxy of the machine's.
    "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
)
# podman's default limits are raises, which this machine refuses (no CAP_SYS_RESOURCE).
RUN_FLAGS = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")
TAIL_LINES = 40
MEMORY = Path("/dev/shm")
MEMORY_FREE_NEEDED = 8 * 2**30  # four times the peak measured
MEMORY_TOTAL_NEEDED = 16 * 2**30
IN_MEMORY = "flask-api-template-podman-"


class PodmanMissing(Exception):
    """podman (or debootstrap, for the stand-in base) is not installed."""


class PodmanFailed(AssertionError):
    """A podman command failed; the message ends with the tail of its output."""


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


@dataclass(frozen=True)
class Podman:
    """podman on one private store, shared by every xdist worker of a run."""

    store: Path
    executable: str = field(default_factory=lambda: shutil.which("podman") or "podman")

    @classmethod
    def on(cls, store: Path) -> Podman:
        missing = [name for name in ("podman", "buildah", "runc") if not shutil.which(name)]
        if missing:
            raise PodmanMissing(f"{', '.join(missing)} not found; install them: {PODMAN_HINT}")
        store.mkdir(parents=True, exist_ok=True)
        return cls(store)

    @property
    def runroot(self) -> Path:
        """Short, as conmon's socket paths under it must fit in ~107 bytes; one per store."""
        return Path("/tmp") / f"podman-run-{hashlib.sha256(bytes(self.store)).hexdigest()[:12]}"

    def command(self, *args: str) -> list[str]:
        return [
            self.executable,
            *("--root", str(self.store / "root"), "--runroot", str(self.runroot)),
            *("--storage-driver", "overlay", "--cgroup-manager", "cgroupfs"),
            *("--runtime", "runc", "--events-backend", "file", "--log-level", "error"),
            *args,
        ]

    def __call__(
        self, *args: str, stdin: str | None = None, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run one podman command, bounded; a failure raises with the end of its output."""
        result = subprocess.run(
            self.command(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise PodmanFailed(
                f"podman {' '.join(args)} exited {result.returncode}\n"
                f"{tail(result.stdout + result.stderr)}"
            )
        return result

    def build(self, context: Path, tag: str, layers: bool = True, timeout: float = 900) -> float:
        """Build context's Dockerfile as tag; return the seconds it took.

        With layers=False no step but the last is committed as a layer: the image is the same,
        without the seconds each commit of a virtualenv costs, and no later build can reuse it.
        """
        began = time.monotonic()
        self(
            *("build", "--format", "docker", "--isolation", "chroot", "--network", "host"),
            *("--pull=never", f"--layers={str(layers).lower()}", "--tag", tag, str(context)),
            timeout=timeout,
        )
        return time.monotonic() - began


def store_for(outcomes: Path) -> Path:
    """This run's store: in memory when the machine has room, else in the run's shared folder.

    A store in memory outlives a run that was killed; the next run removes it once pytest has
    removed that run's temporary folder (its owner).
    """
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    roomy = MEMORY.is_dir() and shutil.disk_usage(MEMORY).free >= MEMORY_FREE_NEEDED
    if not roomy or total < MEMORY_TOTAL_NEEDED:
        return outcomes / "podman"
    with exclusive(MEMORY / IN_MEMORY.rstrip("-")):
        for store in MEMORY.glob(IN_MEMORY + "*"):
            owner = store / "owner"
            if owner.is_file() and not Path(owner.read_text()).exists():
                remove_store(Podman(store))
        store = MEMORY / (IN_MEMORY + hashlib.sha256(bytes(outcomes)).hexdigest()[:12])
        store.mkdir(exist_ok=True)
        (store / "owner").write_text(str(outcomes))
    return store


def remove_store(podman: Podman) -> None:
    """Remove every container, volume and image of the store, then the store itself.

    Not `podman system reset`: that also removes the machine's podman networks.
    """
    podman("rm", "--all", "--force", "--time", "10", check=False, timeout=120)
    podman("volume", "rm", "--all", "--force", check=False, timeout=120)
    podman("rmi", "--all", "--force", check=False, timeout=300)
    _remove_tree(podman.store)
    _remove_tree(podman.runroot)


def build_context(project: Path) -> dict[str, bytes]:
    """What the builder receives: every file .dockerignore lets through, the Dockerfile too."""
    lines = (project / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line.strip() and not line.startswith("#")]
    context = {}
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        relative = path.relative_to(project).as_posix()
        if relative == "Dockerfile" or not dockerignored(patterns, relative):
            context[relative] = path.read_bytes()
    return context


def context_digest(project: Path) -> str:
    digest = hashlib.sha256()
    for relative, content in build_context(project).items():
        digest.update(relative.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:16]


def build_once(
    podman: Podman, project: Path, outcomes: Path, answers: str, layers: bool
) -> tuple[str, float]:
    """Build project's image once per distinct context in this run; return its tag and the
    seconds this call spent (0 when an identical context was built already)."""
    digest = context_digest(project)
    tag = f"localhost/template-image:{digest}"
    spent = [0.0]

    def build() -> None:
        try:
            spent[0] = podman.build(project, tag, layers)
        except PodmanFailed as failure:
            pytest.fail(f"the Dockerfile of {answers} does not build:\n{failure}", pytrace=False)

    run_once(outcomes, "image-" + digest, build)
    return tag, spent[0]


def base_names(python_versions: list[str]) -> list[str]:
    return [f"docker.io/library/python:{version}-slim" for version in python_versions]


def ensure_base(podman: Podman, python_versions: list[str]) -> None:
    """Make the stand-in bases exist in the store: python:X-slim under every name, and uv's."""
    names = base_names(python_versions)
    with exclusive(podman.store / "base"):
        if podman("image", "exists", uv_image(), check=False).returncode != 0:
            tarball = podman.store / "uv-standin.tar"
            write_uv_rootfs(tarball)
            podman("import", str(tarball), uv_image(), timeout=120)
        if all(podman("image", "exists", name, check=False).returncode == 0 for name in names):
            return
        tarball = standin_rootfs()
        changes = [arg for change in BASE_CHANGES for arg in ("--change", change)]
        podman("import", *changes, str(tarball), names[0], timeout=300)
        for name in names[1:]:
            podman("tag", names[0], name)


def uv_image() -> str:
    """The uv image the template's Dockerfile mounts uv from."""
    return f"ghcr.io/astral-sh/uv:{dockerfile_uv()}"


def write_uv_rootfs(tarball: Path) -> None:
    """A root filesystem of /uv and /uvx, the template's locked uv, which must be the image's
    version: the stand-in is only true to the image while they match."""
    folder = Path(sys.executable).parent
    version = subprocess.run(
        [folder / "uv", "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()[1]
    wanted = dockerfile_uv()
    assert version == wanted, f"Dockerfile: uv {wanted}, requirements-dev.txt: {version}; make lock"
    with tarfile.open(tarball, mode="w") as tar:
        for name in ("uv", "uvx"):
            tar.add(folder / name, arcname=name)


def recipe_key() -> str:
    """A hash of everything that makes the stand-in's root filesystem."""
    digest = hashlib.sha256()
    for part in (SUITE, *PACKAGES, inspect.getsource(_make_rootfs)):
        digest.update(part.encode() + b"\0")
    digest.update(CA_BUNDLE.read_bytes() if CA_BUNDLE.is_file() else b"")
    return digest.hexdigest()[:16]


def standin_rootfs() -> Path:
    """The cached root filesystem tarball of the stand-in, made once per machine and recipe."""
    tarball = CACHE / f"python-slim-standin-{recipe_key()}.tar"
    CACHE.mkdir(parents=True, exist_ok=True)
    with exclusive(tarball):
        if not tarball.is_file():
            if not shutil.which("debootstrap"):
                raise PodmanMissing(f"debootstrap not found; install it: {PODMAN_HINT}")
            _make_rootfs(tarball)
    return tarball


def _make_rootfs(tarball: Path) -> None:
    """debootstrap a minimal Debian with Python, make it look like python:X-slim, tar it."""
    work = Path(tempfile.mkdtemp(prefix="standin-", dir=CACHE))
    root = work / "root"
    try:
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES), SUITE, root],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            raise PodmanFailed(f"debootstrap exited {result.returncode}\n{tail(result.stdout)}")
        for name, target in (("python", "python3"), ("pip", "pip3")):
            if not (root / "usr/bin" / name).exists():
                (root / "usr/bin" / name).symlink_to(target)
        # PEP 668: Debian's marker would refuse pip installs that python:X-slim accepts.
        (root / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        # The machine's bundle: pip in a build reaches the index the way the machine does.
        shutil.copyfile(CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        partial = tarball.with_name(tarball.name + ".partial")
        subprocess.run(["tar", "-C", root, "-cf", partial, "."], check=True, timeout=300)
        partial.rename(tarball)
    finally:
        _remove_tree(work)


def _mounts() -> list[str]:
    """Every mount point of the machine (util-linux's findmnt)."""
    listed = subprocess.run(
        ["findmnt", "--raw", "--noheadings", "--output", "TARGET"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return listed.stdout.splitlines()


def _remove_tree(path: Path) -> None:
    """Remove path, unmounting first whatever debootstrap left mounted below it (/proc...)."""
    below = [m for m in _mounts() if m.startswith(str(path) + "/")]
    for mount in sorted(below, reverse=True):
        subprocess.run(["umount", "--lazy", mount], check=False, timeout=60)
    still = [m for m in _mounts() if m.startswith(str(path))]
    if still:
        raise PodmanFailed(f"left in place: {path} still has mounts {still}")
    shutil.rmtree(path, ignore_errors=True)
