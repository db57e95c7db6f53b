# The Debian package: `cpack -G DEB` in a build directory configured with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/build-deb.sh does it all: a release build of its own,
# never with sanitizers or coverage) makes pgdrill_<version>_<arch>.deb holding what
# `cmake --install` installs: both binaries, their man pages, README, copyright and the
# example configurations.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pgdrill)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "prove that PostgreSQL backups restore (restore drills under Patroni)")
# The package installs where the build was configured to (the man pages name that place):
# /usr for a Debian package.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${PGDRILL_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary above it and indents each line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "A throw-away Patroni instance restores the newest pgBackRest backup to a
point in time just after a marker written into production a moment earlier,
and checks that what came back is recent, stopped where it should, cannot
write into the production repository, has sound pages and a readable catalog.
.
pgdrill-bootstrap is Patroni's custom bootstrap method of the restore-test
instance; pgdrill-verify is its post_bootstrap script and decides the verdict.
pgdrill-fleet starts the drills of every cluster of a Patroni fleet on
schedule.")
# Depends: computed by dpkg-shlibdeps (dpkg-dev) from the binaries' shared libraries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What the binaries run: pgbackrest; pg_ctl, postgres, pg_controldata and pg_checksums
# (postgresql-<major>); pg_dump and pg_amcheck (postgresql-client-<major>). Recommended
# rather than required: the major version must be the backup's, which no package can know.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pgbackrest, postgresql | postgresql-15")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "patroni")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# A package of sanitizer, fuzzing or coverage builds would ship their runtimes' behaviour (and
# write profiles wherever it runs): cpack refuses to pack such a build.
if(PGDRILL_SANITIZE OR PGDRILL_FUZZ OR PGDRILL_COVERAGE)
  set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/refuse-instrumented.cmake)
endif()
include(CPack)
