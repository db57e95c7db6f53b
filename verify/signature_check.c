/*
 * signature_check.c - pgdrill-verify --check-signature.
 */
#include "signature_check.h"

#include "cli.h"
#include "config.h"
#include "exitcode.h"
#include "log.h"
#include "signing.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>

/* The key to check with: --public-key's, else the configuration's private key's public half. */
static pgd_signing_key *checking_key(const pgd_config *cfg, const char *public_key)
{
    char *why = NULL;
    pgd_signing_key *key;

    if (public_key != NULL)
        key = pgd_signing_public_key_load(public_key, &why);
    else if (cfg->report.signing_key[0] == '\0') {
        pgd_error("no key to check the signature with: give --public-key=PEM, or set "
                  "report.signing_key in %s",
                  cfg->path);
        return NULL;
    } else
        key = pgd_signing_key_load(cfg->report.signing_key, &why);
    if (key == NULL) {
        pgd_error("%s", why);
        free(why);
    }
    return key;
}

int verify_check_signature(const char *config_path, const char *state_dir, const char *report,
                           const char *public_key)
{
    pgd_config cfg = {0};
    bool loaded = false;
    pgd_signing_key *key = NULL;
    char fingerprint[PGD_KEY_FINGERPRINT_SIZE];
    char *errmsg = NULL;
    int rc = PGD_EXIT_USAGE;

    if (report == NULL || public_key == NULL) {
        if (!pgd_cli_load_config(config_path, &cfg))
            return PGD_EXIT_USAGE;
        loaded = true;
        if (report == NULL && state_dir != NULL && state_dir[0] != '\0' &&
            !pgd_cli_override_state_dir(&cfg, state_dir))
            goto out;
    }
    key = checking_key(&cfg, public_key);
    if (key == NULL)
        goto out;
    if (report == NULL)
        report = cfg.report.file;
    pgd_signing_fingerprint(key, fingerprint);
    switch (pgd_signing_check_file(key, report, &errmsg)) {
    case PGD_SIGNATURE_VALID:
        printf("%s: the signature of %s verifies (Ed25519 key %s)\n", pgd_log_progname(), report,
               fingerprint);
        rc = PGD_EXIT_OK;
        break;
    case PGD_SIGNATURE_INVALID:
        pgd_error("the signature of %s does NOT verify with key %s: %s", report, fingerprint,
                  errmsg);
        rc = PGD_EXIT_FAILED;
        break;
    case PGD_SIGNATURE_UNREADABLE:
        pgd_error("could not check the signature of %s: %s", report, errmsg);
        rc = PGD_EXIT_INCONCLUSIVE;
        break;
    }
out:
    free(errmsg);
    pgd_signing_key_free(key);
    if (loaded)
        pgd_config_free(&cfg);
    return rc;
}
