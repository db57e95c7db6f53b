#!/usr/bin/python3
"""The Debian package, end to end.

  test_deb.py build OUTDIR VERSION
      scripts/build-deb.sh (a release build of its own), then the package's name, control
      fields (Depends computed from the shared libraries, Recommends) and contents, and
      binaries without sanitizer or coverage instrumentation, the copyright file holding the
      licence of LICENSE, and lintian (Debian's package checker) without an error or warning.
  test_deb.py install-drill DEBDIR VERSION
      installs the package system-wide (apt-get install ./pgdrill_*.deb), runs a whole drill
      on the real stack (tests/integration/drillstack.py) with the installed /usr/bin
      binaries, then purges it and checks that every file it installed is gone.

The machine's dpkg database is shared: one package test at a time (a lock file), a leftover
installation from an interrupted run is purged first, and the package is purged at the end
whatever happened. Other tests run the build directory's binaries, never /usr/bin's.
Standard library only; run with /usr/bin/python3.
"""
import fcntl
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.dont_write_bytecode = True

from drillstack import Stack, expect, expect_equal, expect_outcome, run  # noqa: E402

PACKAGE = "pgdrill"
LOCK = "/run/lock/pgdrill-package-test.lock"
# The shared libraries the binaries link, by Debian package; libc6 comes with any binary.
EXPECTED_DEPENDS = {"libpq5", "libyaml-0-2", "libcurl4", "libjansson4", "libuuid1", "libssl3"}
EXPECTED_FILES = [
    "/usr/bin/pgdrill-bootstrap",
    "/usr/bin/pgdrill-fleet",
    "/usr/bin/pgdrill-verify",
    "/usr/share/doc/pgdrill/README.md",
    "/usr/share/doc/pgdrill/changelog.gz",
    "/usr/share/doc/pgdrill/copyright",
    "/usr/share/doc/pgdrill/examples/fleet.yml",
    "/usr/share/doc/pgdrill/examples/patroni.yml",
    "/usr/share/doc/pgdrill/examples/pgdrill-fleet-run.service",
    "/usr/share/doc/pgdrill/examples/pgdrill-fleet-run.timer",
    "/usr/share/doc/pgdrill/examples/pgdrill-fleet.service",
    "/usr/share/doc/pgdrill/examples/pgdrill.yml",
    "/usr/share/man/man1/pgdrill-bootstrap.1.gz",
    "/usr/share/man/man1/pgdrill-fleet.1.gz",
    "/usr/share/man/man1/pgdrill-verify.1.gz",
]
# Symbols an instrumented build leaves in a binary: a release package has none of them.
INSTRUMENTATION = (b"__asan_", b"__ubsan_", b"__sanitizer_", b"__llvm_profile", b"__gcov_")


def sh(argv, timeout=120, check=True, **kw):
    """Run a command as root (not as the database user), bounded, output captured."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(argv), p.returncode,
                                                      p.stdout[-3000:], p.stderr[-3000:]))
    return p


def log(msg):
    print("test_deb: %s" % msg, file=sys.stderr, flush=True)


def arch():
    return sh(["dpkg", "--print-architecture"]).stdout.strip()


def deb_path(directory, version):
    path = os.path.join(directory, "%s_%s_%s.deb" % (PACKAGE, version, arch()))
    found = glob.glob(os.path.join(directory, PACKAGE + "_*.deb"))
    expect(found == [path], "expected exactly %s" % path, found)
    return path


def package_names(field):
    """'libc6 (>= 2.34), libpq5 (>= 9.0~) | x' -> {'libc6', 'libpq5', 'x'}"""
    return {re.split(r"[\s(:]", alt.strip())[0]
            for dep in field.split(",") if dep.strip() for alt in dep.split("|")}


# ---------------------------------------------------------------------- build
def build(outdir, version):
    os.makedirs(outdir, exist_ok=True)
    for old in glob.glob(os.path.join(outdir, PACKAGE + "_*.deb")):
        os.remove(old)
    start = time.monotonic()
    p = sh([os.path.join(REPO, "scripts", "build-deb.sh"), outdir], timeout=900)
    log("built %s in %.1fs" % (p.stdout.strip(), time.monotonic() - start))
    deb = deb_path(outdir, version)
    expect_equal(p.stdout.strip(), deb, "build-deb.sh's answer")

    def field(name):
        return sh(["dpkg-deb", "-f", deb, name]).stdout.strip()
    expect_equal(field("Package"), PACKAGE, "Package")
    expect_equal(field("Version"), version, "Version")
    expect_equal(field("Architecture"), arch(), "Architecture")
    depends = package_names(field("Depends"))
    expect(EXPECTED_DEPENDS <= depends, "Depends lacks %s" % sorted(EXPECTED_DEPENDS - depends),
           field("Depends"))
    expect(depends <= EXPECTED_DEPENDS | {"libc6"},
           "Depends names more than the libraries the binaries link", field("Depends"))
    expect("pgbackrest" in package_names(field("Recommends")), "Recommends pgbackrest",
           field("Recommends"))
    expect(field("Maintainer") and field("Description"), "Maintainer and Description set")

    listing = sh(["dpkg-deb", "-c", deb]).stdout
    files = sorted(line.split()[-1][1:] for line in listing.splitlines()
                   if not line.startswith("d"))
    expect_equal(files, EXPECTED_FILES, "the package's files")
    with tempfile.TemporaryDirectory() as tmp:
        sh(["dpkg-deb", "-x", deb, tmp])
        for name in ("pgdrill-bootstrap", "pgdrill-verify", "pgdrill-fleet"):
            with open(os.path.join(tmp, "usr", "bin", name), "rb") as f:
                data = f.read()
            found = [s.decode() for s in INSTRUMENTATION if s in data]
            expect(not found, "%s is instrumented (%s): not a release build" % (name, found))
        for page in ("pgdrill-bootstrap", "pgdrill-verify", "pgdrill-fleet"):
            rendered = sh(["man", "-l", os.path.join(tmp, "usr/share/man/man1", page + ".1.gz")],
                          env={"PATH": "/usr/bin:/bin", "MANWIDTH": "100", "LANG": "C.UTF-8"})
            expect("/usr/share/doc/pgdrill/examples/" in rendered.stdout,
                   "%s(1) names the installed examples" % page)
        copyright = open(os.path.join(tmp, "usr/share/doc/pgdrill/copyright")).read()
        licence = open(os.path.join(REPO, "LICENSE")).read()
        for paragraph in licence.split("\n\n")[2:]:  # after the title and the notice
            words = " ".join(paragraph.split())
            expect(words in " ".join(copyright.replace("\n .", "\n").split()),
                   "the copyright file lacks LICENSE's paragraph %r" % words[:60])
    expect("<maintainers@pgdrill.invalid>" in field("Maintainer"),
           "the default Maintainer (PGDRILL_PACKAGE_MAINTAINER)", field("Maintainer"))
    # Errors and warnings; information (I:) and pedantic (P:) tags are not asked for.
    tags = sh(["lintian", "--tag-display-limit", "0", deb], timeout=300, check=False)
    problems = [line for line in tags.stdout.splitlines() if re.match(r"[EW]: ", line)]
    expect(not problems and tags.returncode == 0, "lintian: %s" % problems,
           tags.stdout[-3000:], tags.stderr[-3000:])
    log("package ok: Depends: %s; lintian: no error or warning" % field("Depends"))


# ---------------------------------------------------------------- install-drill
def take_lock():
    """One package test per machine at a time: dpkg's database is the machine's."""
    fd = os.open(LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    deadline = time.monotonic() + 300
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise AssertionError("another package test holds %s for over 300 s" % LOCK)
            time.sleep(1)


def dpkg_status():
    """'ii', 'rc', ... or None when dpkg has nothing of the package (not even its conffiles)."""
    p = sh(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE], check=False)
    status = p.stdout.strip() if p.returncode == 0 else ""
    return None if status == "" or status.startswith(("un", "pn")) else status


def purge():
    sh(["dpkg", "--purge", PACKAGE], timeout=300)


def installed_files():
    return [f for f in sh(["dpkg", "-L", PACKAGE]).stdout.splitlines()
            if f and not os.path.isdir(f)]


def drill(version):
    with Stack("package") as s:
        s.use_installed_pgdrill("/usr/bin")
        config = s.pgdrill_config()
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir)
        expect_equal(p.returncode, 0, "bootstrap exit code")
        port = s.start_restored(datadir)
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal(r["verdict"], "passed", "verdict")
        expect_equal(r["pgdrill_version"], version, "the report's pgdrill_version")
        expect_equal([c["status"] for c in r["checks"]], ["passed"] * len(r["checks"]),
                     "every check passed")
        # the installed example is the shipped example: valid as it is
        run(["/usr/bin/pgdrill-verify", "--check-config",
             "--config=/usr/share/doc/pgdrill/examples/pgdrill.yml"], env=s.env)


def install_drill(debdir, version):
    deb = deb_path(debdir, version)
    lock = take_lock()
    try:
        status = dpkg_status()
        if status is not None:
            log("purging a leftover installation (status %s)" % status)
            purge()
        start = time.monotonic()
        sh(["apt-get", "install", "-y", "-q", "--no-install-recommends",
            "-o", "DPkg::Lock::Timeout=300", deb], timeout=600,
           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        log("installed in %.1fs" % (time.monotonic() - start))
        expect_equal(dpkg_status(), "ii", "dpkg status after installing")
        files = installed_files()
        expect_equal(sorted(files), EXPECTED_FILES, "installed files")
        v = sh(["/usr/bin/pgdrill-bootstrap", "--version"]).stdout.strip()
        expect_equal(v, "pgdrill-bootstrap (pgdrill) %s" % version, "--version")
        expect_equal(sh(["man", "-w", "pgdrill-verify"]).stdout.strip(),
                     "/usr/share/man/man1/pgdrill-verify.1.gz", "man -w pgdrill-verify")
        drill(version)
        purge()
        expect(dpkg_status() is None, "dpkg still knows the package after --purge",
               dpkg_status())
        left = [f for f in files + ["/usr/share/doc/pgdrill"] if os.path.lexists(f)]
        expect(not left, "left behind by dpkg --purge", left)
        log("purged: nothing left")
    finally:
        if dpkg_status() is not None:
            log("purging after a failure")
            purge()
        os.close(lock)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "build":
        build(os.path.abspath(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "install-drill":
        if os.geteuid() != 0:
            print("test_deb: install-drill installs a package: skipped, not root", file=sys.stderr)
            return 77  # ctest's SKIP_RETURN_CODE
        install_drill(os.path.abspath(sys.argv[2]), sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
