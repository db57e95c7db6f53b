#!/usr/bin/env bash
# Install everything pgdrill needs to build and to run its tests on Debian 12:
# compilers (gcc; clang with libFuzzer), coverage tools (llvm, lcov) and -dev libraries, PostgreSQL 15, pgBackRest,
# Patroni, etcd, promtool (apt), the package and image tools (dpkg-dev, groff, man-db,
# buildah, debootstrap), and s3rver, kubernetes-models and yaml (npm, into .deps/npm of this
# tree). Idempotent; a second run only checks.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
packages=(
  build-essential cmake pkg-config git
  libpq-dev libyaml-dev libcurl4-openssl-dev libjansson-dev uuid-dev libcmocka-dev
  # libcrypto (pkg-config libcrypto): the report's Ed25519 signature (common/fleet/signing.c).
  libssl-dev
  postgresql-15 postgresql-client-15 pgbackrest patroni python3-etcd python3-psycopg2
  # tests/integration/test_quarantine.py: a source with pg_cron jobs (README, "Quarantine").
  postgresql-15-cron
  # Patroni's raft DCS, which the Kubernetes manifests run inside the drill pod
  # (tests/kubernetes, the integration scenario patroni_kubernetes_config).
  python3-pysyncobj
  etcd-server etcd-client
  # tests/package/check-systemd.sh: systemd-analyze verifies pgdrill-fleet's units.
  systemd
  python3 openssl procps util-linux ca-certificates
  clang-format clang-tidy cppcheck
  # scripts/test.sh builds with clang: libclang-rt-14-dev holds libFuzzer and the sanitizer
  # runtimes (clang only recommends it); llvm brings llvm-symbolizer for the stack traces.
  clang libclang-rt-14-dev llvm
  # scripts/coverage.sh: llvm (above) merges and exports the profiles, lcov's genhtml renders them.
  lcov
  # tests/kubernetes: PyYAML reads the manifests as kubectl does (YAML 1.1).
  python3-yaml
  # tests/monitoring: promtool comes only with the server's package (about 20 MB, 10 s to
  # install). Where systemd runs, the package also starts a Prometheus server on port 9090:
  # "systemctl disable --now prometheus" if that is unwanted.
  prometheus
  # The .deb (scripts/build-deb.sh): dpkg-shlibdeps computes Depends; the man pages' test
  # renders them with groff and man.
  dpkg-dev groff-base man-db
  # tests/package: Debian's package checker, no error or warning allowed.
  lintian
  # The restore-test image (tests/image): debootstrap makes the Debian 12 base, buildah builds
  # and runs the image (chroot isolation: no OCI runtime, no registry).
  buildah debootstrap
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root (or install sudo)" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  # Debian's postgresql-common would create and start a "main" cluster on port 5432;
  # the tests start their own servers, so no default cluster.
  "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common
  if ! grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
    echo "create_main_cluster = false" | "${sudo_cmd[@]}" tee -a /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  echo "install-deps: apt-get install ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The etcd package may have started a system etcd; the tests use their own on free ports.
fi

# npm packages, each pinned to a release line: s3rver (the tests' S3 server),
# kubernetes-models and yaml (tests/kubernetes/validate-schema.mjs).
npm_dir="$here/.deps/npm"
npm_missing=()
for spec in s3rver@3.7 kubernetes-models@5 yaml@2; do
  name=${spec%@*} line=${spec##*@}
  grep -qs "\"version\": \"${line//./\\.}\." "$npm_dir/node_modules/$name/package.json" ||
    npm_missing+=("$spec")
done
if [ ${#npm_missing[@]} -gt 0 ]; then
  echo "install-deps: npm install ${npm_missing[*]} into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error "${npm_missing[@]}" >/dev/null
fi
npm_version() { node -p "require('$npm_dir/node_modules/$1/package.json').version"; }

echo "install-deps: ok (PostgreSQL $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}'), $(pgbackrest version), patroni $(patroni --version 2>/dev/null | awk '{print $2}'), etcd $(etcd --version | awk 'NR==1{print $3}'), s3rver $(npm_version s3rver), promtool $(promtool --version 2>&1 | awk 'NR==1{print $3}'), kubernetes-models $(npm_version kubernetes-models))"
