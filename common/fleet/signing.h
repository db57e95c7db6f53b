/*
 * signing.h - Ed25519 signatures of the final report (README "Signed evidence").
 *
 * The one place pgdrill touches cryptography, all of it OpenSSL's (EVP with
 * EVP_PKEY_ED25519: PureEdDSA, no digest of ours): what pgdrill writes is a
 * detached signature, the 64 raw bytes over the exact bytes of the report
 * file, which `openssl pkeyutl -verify -rawin` checks. Key material never
 * leaves this module: no message names more than the key file's path, and
 * the private key's PEM lines are registered as secrets (secret.h).
 */
#ifndef PGDRILL_SIGNING_H
#define PGDRILL_SIGNING_H

#include <stdbool.h>
#include <stddef.h>

#define PGD_SIGNATURE_BYTES 64
/* SHA-256 of the raw 32-byte public key, in lowercase hex, and its NUL */
#define PGD_KEY_FINGERPRINT_SIZE 65

typedef struct pgd_signing_key pgd_signing_key;

/*
 * The Ed25519 private key in PEM at path (report.signing_key). Refused with
 * *errmsg (caller frees; no key material in it): not a regular file, any
 * access for group or others (it must be 0600 or stricter), larger than a
 * key file can be, not a PEM private key (an encrypted one included: there
 * is nobody to ask for a passphrase), a key of another type.
 */
pgd_signing_key *pgd_signing_key_load(const char *path, char **errmsg);

/*
 * An Ed25519 public key in PEM (`openssl pkey -in key.pem -pubout`), for an
 * auditor without the private key. Refused with *errmsg like a private key,
 * except that its mode does not matter (it is no secret).
 */
pgd_signing_key *pgd_signing_public_key_load(const char *path, char **errmsg);

void pgd_signing_key_free(pgd_signing_key *key);

/* Sign length bytes of data into sig; false with *errmsg (caller frees). */
bool pgd_signing_sign(const pgd_signing_key *key, const void *data, size_t length,
                      unsigned char sig[PGD_SIGNATURE_BYTES], char **errmsg);

/* Whether sig (sig_length bytes) is key's signature of data; any other length is refused. */
bool pgd_signing_verify(const pgd_signing_key *key, const void *data, size_t length,
                        const unsigned char *sig, size_t sig_length);

/* The key's fingerprint: SHA-256 of its raw 32-byte public key, lowercase hex. */
void pgd_signing_fingerprint(const pgd_signing_key *key, char hex[PGD_KEY_FINGERPRINT_SIZE]);

/*
 * SHA-256 of length bytes in lowercase hex ("" if OpenSSL fails): the hash
 * the signed report keeps of the source's catalog file (catalog_compare.h).
 */
void pgd_signing_sha256_hex(const void *data, size_t length, char hex[PGD_KEY_FINGERPRINT_SIZE]);

/*
 * MD5 in lowercase hex, as PostgreSQL's md5() prints it: no security rests
 * on it, it names the same catalog lines on both sides (catalog_fingerprint.h).
 */
void pgd_signing_md5_hex(const void *data, size_t length, char hex[PGD_KEY_FINGERPRINT_SIZE]);
/* Standard base64 (RFC 4648, padded) of length bytes; newly allocated. */
char *pgd_signing_base64(const unsigned char *data, size_t length);

/* "<report>.sig": where the detached signature of report lives (newly allocated). */
char *pgd_signing_sig_path(const char *report);

typedef enum pgd_signature_check {
    PGD_SIGNATURE_VALID,      /* the key signed exactly these bytes */
    PGD_SIGNATURE_INVALID,    /* it did not: the report or the signature changed, or another key */
    PGD_SIGNATURE_UNREADABLE, /* the report or "<report>.sig" could not be read */
} pgd_signature_check;

/*
 * Check "<report>.sig" against the bytes of report, read as they are (a
 * byte changed anywhere, a NUL included, fails). *errmsg (caller frees)
 * says why when the result is not PGD_SIGNATURE_VALID.
 */
pgd_signature_check pgd_signing_check_file(const pgd_signing_key *key, const char *report,
                                           char **errmsg);

#endif
