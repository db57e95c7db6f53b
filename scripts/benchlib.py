"""What the benchmark scripts share: a release build, the test stack, timing, medians.

Benchmarks run on demand (not in the tests); each prints a Markdown table for the README
with the date and the machine, and exits 1 when its goal is missed.
"""
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.dont_write_bytecode = True


def release_build():
    """pgdrill without sanitizers or coverage in build-bench/; the stack's binaries come from it."""
    build = os.path.join(REPO, "build-bench")
    subprocess.run(["cmake", "-S", REPO, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                    "-DPGDRILL_SANITIZE=OFF", "-DPGDRILL_TESTS=OFF", "-DPGDRILL_FUZZ=OFF",
                    "-DPGDRILL_COVERAGE=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "-j%d" % os.cpu_count()], check=True,
                   stdout=subprocess.DEVNULL)
    os.environ["PGDRILL_BUILD_DIR"] = build
    return build


def machine():
    """'2026-11-25, 2 CPUs, 24 GiB, Debian 12': what the README's numbers were measured on."""
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    distro = "Linux"
    try:
        with open("/etc/os-release") as f:
            fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        distro = fields.get("PRETTY_NAME", distro).strip('"')
    except OSError:
        pass
    return "%s, %d CPUs, %.0f GiB, %s, %s" % (time.strftime("%Y-%m-%d"), os.cpu_count(),
                                              mem_kb / 1024 / 1024, distro, platform.machine())


def run_timed(argv, env, timeout=7200, cwd=None):
    """(seconds, completed process) of argv run to the end; a failure stops the benchmark."""
    start = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    elapsed = time.monotonic() - start
    if p.returncode != 0:
        raise SystemExit("bench: %s failed (%d):\n%s" % (" ".join(argv[:3]), p.returncode,
                                                         (p.stderr or p.stdout)[-3000:]))
    return elapsed, p


def median(values):
    return statistics.median(values)


def table(header, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
