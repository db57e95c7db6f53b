"""The Debian 12 base image's root file system: debootstrap --variant=minbase from this
machine's Debian mirror, kept as a tarball per day in $PGDRILL_IMAGE_CACHE
(/var/tmp/pgdrill-image-cache): the first run of a day builds it, later runs reuse it, a
clean machine builds it from scratch.

Standard library only; run with /usr/bin/python3 as root.
"""
import glob
import os
import re
import shutil
import tempfile
import time

from imageutil import FileLock, log, sh

CACHE = os.environ.get("PGDRILL_IMAGE_CACHE", "/var/tmp/pgdrill-image-cache")


def mirrors():
    """The Debian and Debian security mirrors of this machine's apt sources."""
    debian = os.environ.get("PGDRILL_DEBIAN_MIRROR")
    security = None
    texts = []
    for path in glob.glob("/etc/apt/sources.list.d/*.sources") + glob.glob(
            "/etc/apt/sources.list.d/*.list") + ["/etc/apt/sources.list"]:
        try:
            with open(path) as f:
                texts.append(f.read())
        except OSError:
            pass
    for uri in re.findall(r"(?m)^(?:URIs:|deb(?:\s+\[[^]]*\])?)\s+(\S+)", "\n".join(texts)):
        uri = uri.rstrip("/")
        if uri.endswith("/debian-security"):
            security = security or uri
        elif uri.endswith("/debian"):
            debian = debian or uri
    return (debian or "http://deb.debian.org/debian",
            security or "http://deb.debian.org/debian-security")


def base_tarball():
    return os.path.join(CACHE, "debian-bookworm-minbase-%s.tar" % time.strftime("%Y%m%d",
                                                                              time.gmtime()))


def base():
    os.makedirs(CACHE, mode=0o755, exist_ok=True)
    tarball = base_tarball()
    with FileLock(os.path.join(CACHE, "lock"), 900):
        if os.path.exists(tarball):
            log("base: reusing today's %s" % tarball)
            return
        debian, security = mirrors()
        start = time.monotonic()
        work = tempfile.mkdtemp(prefix="rootfs.", dir=CACHE)
        try:
            rootfs = os.path.join(work, "rootfs")
            sh(["debootstrap", "--variant=minbase", "bookworm", rootfs, debian], timeout=900)
            # what a debian:bookworm image has: the release, its updates and security updates
            with open(os.path.join(rootfs, "etc", "apt", "sources.list"), "w") as f:
                f.write("deb %s bookworm main\ndeb %s bookworm-updates main\n"
                        "deb %s bookworm-security main\n" % (debian, debian, security))
            for junk in glob.glob(os.path.join(rootfs, "var/cache/apt/archives/*.deb")) + \
                    glob.glob(os.path.join(rootfs, "var/lib/apt/lists/*_*")):
                os.remove(junk)
            sh(["tar", "-C", rootfs, "-cf", tarball + ".part", "."], timeout=300)
            os.rename(tarball + ".part", tarball)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for old in glob.glob(os.path.join(CACHE, "debian-bookworm-minbase-*.tar*")):
            if old != tarball:
                os.remove(old)
        log("base: debootstrap from %s in %.1fs: %s" % (debian, time.monotonic() - start,
                                                         tarball))
