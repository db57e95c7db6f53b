/*
 * signature_check.h - pgdrill-verify --check-signature: an auditor's check
 * of a signed report (README "Signed evidence").
 */
#ifndef PGDRILL_SIGNATURE_CHECK_H
#define PGDRILL_SIGNATURE_CHECK_H

/*
 * Check "<report>.sig" against report with the public key in PEM
 * public_key, or derived from the configuration's report.signing_key when
 * public_key is NULL; report NULL is the configuration's report.file (with
 * state_dir, as --state-dir gives it, when not NULL). The configuration is
 * read only when one of them is needed from it, so an auditor with the
 * report, its signature and the public key needs nothing else. Prints the
 * outcome (the key's fingerprint, never key material); returns the exit
 * code: 0 it verifies, 1 it does not, 2 no key or a bad one, 3 the report
 * or the signature could not be read.
 */
int verify_check_signature(const char *config_path, const char *state_dir, const char *report,
                           const char *public_key);

#endif
