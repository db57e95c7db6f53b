/*
 * conclude.c - deliver, write the report (and sign it), print the summary, exit code.
 */
#include "conclude.h"

#include "deliver.h"
#include "exitcode.h"
#include "fsutil.h"
#include "log.h"
#include "signing.h"
#include "summary.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/*
 * Sign text, the bytes report.file was just given, into "<report.file>.sig"
 * (mode 0644: a signature is no secret). Returns the base64 signature, or
 * NULL with *errmsg.
 */
static char *sign_written(const pgd_signing_key *key, const char *report_file, const char *text,
                          char **errmsg)
{
    unsigned char sig[PGD_SIGNATURE_BYTES];
    char *sig_path = pgd_signing_sig_path(report_file);
    char *value = NULL;

    if (pgd_signing_sign(key, text, strlen(text), sig, errmsg) &&
        pgd_write_bytes_atomic(sig_path, sig, sizeof(sig), 0644, errmsg)) {
        value = pgd_signing_base64(sig, sizeof(sig));
        pgd_info("report signed: %s", sig_path);
    }
    free(sig_path);
    return value;
}

/*
 * The terminal report with report.signing_key: deliver.h says in which
 * order. The key was checked at start (cli.c); read again here, a key
 * gone since leaves the report unsigned, which the report, the history
 * row and the webhook say (the verdict stays: signing is not the drill).
 */
static void write_signed(const pgd_config *cfg, pgd_history *history, pgd_report *report)
{
    char *key_error = NULL;
    char *errmsg = NULL;
    char *text = NULL;
    char *value = NULL;
    char fingerprint[PGD_KEY_FINGERPRINT_SIZE] = "";
    pgd_signing_key *key = pgd_signing_key_load(cfg->report.signing_key, &key_error);
    pgd_report_signature signature = {0};
    json_t *named;

    pgd_deliver_before_signing(cfg, report);
    if (key != NULL) {
        char *sig_path = pgd_signing_sig_path(report->path);

        pgd_signing_fingerprint(key, fingerprint);
        /* The report names its key (covered by the signature); it cannot hold its signature. */
        named = json_pack("{s:s,s:s,s:s}", "algorithm", "ed25519", "key_fingerprint", fingerprint,
                          "file", sig_path);
        free(sig_path);
    } else {
        pgd_error("the report is not signed: report.signing_key: %s", key_error);
        named = json_pack("{s:s}", "error", key_error);
    }
    json_object_set_new(report->root, "signature", named);
    if (!pgd_report_write_text(report, &text, &errmsg)) {
        pgd_error("could not write the report: %s", errmsg);
        signature.error = "the report could not be written";
    } else if (key != NULL) {
        value = sign_written(key, report->path, text, &errmsg);
        if (value == NULL) {
            pgd_error("could not sign the report: %s", errmsg);
            /* In memory only (the summary): the file is written, and it is what it is. */
            json_object_set_new(named, "error", json_string(errmsg));
        }
        signature.error = value == NULL ? errmsg : NULL;
    } else
        signature.error = key_error;
    signature.value = value;
    signature.key_fingerprint = fingerprint[0] != '\0' ? fingerprint : NULL;
    pgd_deliver_after_signing(cfg, history, report, &signature);
    pgd_signing_key_free(key);
    free(value);
    free(text);
    free(errmsg);
    free(key_error);
}

int pgd_conclude(const pgd_config *cfg, pgd_history *history, pgd_report *report)
{
    pgd_verdict verdict = pgd_report_get_verdict(report);
    char *errmsg = NULL;

    if (verdict != PGD_VERDICT_RUNNING && cfg->report.signing_key[0] != '\0')
        write_signed(cfg, history, report);
    else {
        if (verdict != PGD_VERDICT_RUNNING)
            pgd_deliver(cfg, history, report);
        if (!pgd_report_write(report, &errmsg)) {
            pgd_error("could not write the report: %s", errmsg);
            free(errmsg);
        }
    }
    pgd_print_summary(report, stderr);
    {
        /* pgdrill's own footprint (children excluded): scripts/bench-drill.py reports it. */
        struct rusage self;

        if (getrusage(RUSAGE_SELF, &self) == 0)
            pgd_debug("peak memory of this process: %ld kB", self.ru_maxrss);
    }
    return verdict == PGD_VERDICT_RUNNING ? PGD_EXIT_OK : pgd_verdict_exit_code(verdict);
}
