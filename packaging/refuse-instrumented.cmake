# Run by cpack before it packs (CPACK_PRE_BUILD_SCRIPTS) when the build has sanitizers,
# fuzzing or coverage instrumentation: a release package is never made from such a build.
message(FATAL_ERROR "this build is instrumented (PGDRILL_SANITIZE, PGDRILL_FUZZ or "
                    "PGDRILL_COVERAGE): build the package with scripts/build-deb.sh")
