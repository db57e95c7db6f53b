/*
 * signing.c - Ed25519 signatures of the final report, with OpenSSL's EVP API.
 */
#include "signing.h"

#include "secret.h"
#include "xalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A PEM Ed25519 key is about 120 bytes; anything this big is the wrong file. */
#define KEY_FILE_MAX_BYTES (16 * 1024)
/* As report.c reads a report: no report is near it. */
#define REPORT_MAX_BYTES     (16 * 1024 * 1024)
#define RAW_PUBLIC_KEY_BYTES 32

struct pgd_signing_key {
    EVP_PKEY *pkey;
};

static char *read_regular(const char *path, size_t max_bytes, bool private_key, size_t *length,
                          char **errmsg);
static void register_pem_lines(const char *text);

/* An encrypted key would ask for a passphrase on the terminal: nobody is there to type it. */
static int no_passphrase(char *buf, int size, int rwflag, void *arg)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)arg;
    return -1;
}

/*
 * A regular file's bytes (a FIFO would block), at most max_bytes, and for
 * a private key no access for group or others, as libpq asks of a
 * passfile. NUL-terminated for PEM; *length excludes it. NULL with *errmsg.
 */
static char *read_regular(const char *path, size_t max_bytes, bool private_key, size_t *length,
                          char **errmsg)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char *text = NULL;
    size_t done = 0;

    if (fd < 0) {
        *errmsg = pgd_asprintf("could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *errmsg = pgd_asprintf("\"%s\" is not a regular file", path);
        goto fail;
    }
    if (private_key && (st.st_mode & 077) != 0) {
        *errmsg = pgd_asprintf("\"%s\" has mode %04o: a private key must give group and others "
                               "no access (chmod 0600 \"%s\")",
                               path, (unsigned)(st.st_mode & 07777), path);
        goto fail;
    }
    if ((uintmax_t)st.st_size > max_bytes) {
        *errmsg = pgd_asprintf("\"%s\" is larger than %zu bytes", path, max_bytes);
        goto fail;
    }
    text = pgd_calloc(1, (size_t)st.st_size + 1);
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, text + done, (size_t)st.st_size - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *errmsg = pgd_asprintf("could not read \"%s\": %s", path,
                                   n < 0 ? strerror(errno) : "file shrank while being read");
            OPENSSL_cleanse(text, (size_t)st.st_size);
            free(text);
            text = NULL;
            goto fail;
        }
        done += (size_t)n;
    }
    close(fd);
    *length = done;
    return text;
fail:
    close(fd);
    return NULL;
}

/* Every base64 line of a private key's PEM is a secret: masked if anything ever prints it. */
static void register_pem_lines(const char *text)
{
    const char *line = text;

    while (*line != '\0') {
        size_t n = strcspn(line, "\r\n");

        if (n > 0 && line[0] != '-') {
            char *copy = pgd_strndup(line, n);

            pgd_secret_register(copy);
            OPENSSL_cleanse(copy, n);
            free(copy);
        }
        line += n;
        line += strspn(line, "\r\n");
    }
}

/* The key in text, checked to be Ed25519; NULL with *errmsg (which never quotes text). */
static pgd_signing_key *parse_key(const char *path, const char *text, size_t length,
                                  bool private_key, char **errmsg)
{
    BIO *bio = BIO_new_mem_buf(text, (int)length);
    EVP_PKEY *pkey = NULL;
    pgd_signing_key *key;

    if (bio != NULL)
        pkey = private_key ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                           : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (pkey == NULL) {
        if (private_key && strstr(text, "ENCRYPTED") != NULL)
            *errmsg = pgd_asprintf("\"%s\" is an encrypted private key; pgdrill runs unattended "
                                   "and cannot ask for its passphrase (keep it unencrypted, mode "
                                   "0600)",
                                   path);
        else if (private_key)
            *errmsg = pgd_asprintf("\"%s\" is not a PEM private key (make one with: openssl "
                                   "genpkey -algorithm ed25519)",
                                   path);
        else
            *errmsg = pgd_asprintf("\"%s\" is not a PEM public key (derive it from the private "
                                   "key: openssl pkey -in KEY.pem -pubout)",
                                   path);
        return NULL;
    }
    if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        const char *type = EVP_PKEY_get0_type_name(pkey);

        *errmsg = pgd_asprintf("\"%s\" holds a%s %s key, not Ed25519 (openssl genpkey -algorithm "
                               "ed25519)",
                               path, type != NULL && strchr("AEIOU", type[0]) ? "n" : "",
                               type != NULL ? type : "unknown");
        EVP_PKEY_free(pkey);
        return NULL;
    }
    key = pgd_calloc(1, sizeof(*key));
    key->pkey = pkey;
    return key;
}

static pgd_signing_key *load(const char *path, bool private_key, char **errmsg)
{
    size_t length = 0;
    char *text = read_regular(path, KEY_FILE_MAX_BYTES, private_key, &length, errmsg);
    pgd_signing_key *key;

    if (text == NULL)
        return NULL;
    if (private_key)
        register_pem_lines(text);
    key = parse_key(path, text, length, private_key, errmsg);
    OPENSSL_cleanse(text, length);
    free(text);
    return key;
}

pgd_signing_key *pgd_signing_key_load(const char *path, char **errmsg)
{
    return load(path, true, errmsg);
}

pgd_signing_key *pgd_signing_public_key_load(const char *path, char **errmsg)
{
    return load(path, false, errmsg);
}

void pgd_signing_key_free(pgd_signing_key *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

bool pgd_signing_sign(const pgd_signing_key *key, const void *data, size_t length,
                      unsigned char sig[PGD_SIGNATURE_BYTES], char **errmsg)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_length = PGD_SIGNATURE_BYTES;
    bool ok;

    /* Ed25519 is PureEdDSA: no digest is named, the message is signed whole. */
    ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
         EVP_DigestSign(ctx, sig, &sig_length, data, length) == 1 &&
         sig_length == PGD_SIGNATURE_BYTES;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        *errmsg = pgd_strdup("OpenSSL could not sign with the key (a public key cannot sign)");
    return ok;
}

bool pgd_signing_verify(const pgd_signing_key *key, const void *data, size_t length,
                        const unsigned char *sig, size_t sig_length)
{
    EVP_MD_CTX *ctx;
    bool ok;

    if (sig_length != PGD_SIGNATURE_BYTES)
        return false;
    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
         EVP_DigestVerify(ctx, sig, sig_length, data, length) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static void digest_hex(const EVP_MD *md, const void *data, size_t length,
                       char hex[PGD_KEY_FINGERPRINT_SIZE])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;

    hex[0] = '\0';
    if (md == NULL || EVP_Digest(data, length, digest, &digest_length, md, NULL) != 1)
        return;
    for (unsigned int i = 0; i < digest_length && 2 * i + 2 < PGD_KEY_FINGERPRINT_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void pgd_signing_sha256_hex(const void *data, size_t length, char hex[PGD_KEY_FINGERPRINT_SIZE])
{
    digest_hex(EVP_sha256(), data, length, hex);
}

void pgd_signing_md5_hex(const void *data, size_t length, char hex[PGD_KEY_FINGERPRINT_SIZE])
{
    digest_hex(EVP_md5(), data, length, hex);
}

void pgd_signing_fingerprint(const pgd_signing_key *key, char hex[PGD_KEY_FINGERPRINT_SIZE])
{
    unsigned char raw[RAW_PUBLIC_KEY_BYTES];
    size_t raw_length = sizeof(raw);

    hex[0] = '\0';
    if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &raw_length) == 1)
        pgd_signing_sha256_hex(raw, raw_length, hex);
}

char *pgd_signing_base64(const unsigned char *data, size_t length)
{
    char *out = pgd_calloc(1, 4 * ((length + 2) / 3) + 1);

    EVP_EncodeBlock((unsigned char *)out, data, (int)length);
    return out;
}

char *pgd_signing_sig_path(const char *report)
{
    return pgd_asprintf("%s.sig", report);
}

pgd_signature_check pgd_signing_check_file(const pgd_signing_key *key, const char *report,
                                           char **errmsg)
{
    char *sig_path = pgd_signing_sig_path(report);
    size_t report_length = 0;
    size_t sig_length = 0;
    char *text = read_regular(report, REPORT_MAX_BYTES, false, &report_length, errmsg);
    char *sig = text != NULL
                    ? read_regular(sig_path, KEY_FILE_MAX_BYTES, false, &sig_length, errmsg)
                    : NULL;
    pgd_signature_check result = PGD_SIGNATURE_UNREADABLE;

    if (sig != NULL) {
        if (sig_length != PGD_SIGNATURE_BYTES) {
            *errmsg = pgd_asprintf("\"%s\" holds %zu bytes, not a %d-byte Ed25519 signature",
                                   sig_path, sig_length, PGD_SIGNATURE_BYTES);
            result = PGD_SIGNATURE_INVALID;
        } else if (pgd_signing_verify(key, text, report_length, (const unsigned char *)sig,
                                      sig_length))
            result = PGD_SIGNATURE_VALID;
        else {
            *errmsg = pgd_asprintf("\"%s\" is not this key's signature of \"%s\": the report was "
                                   "changed after it was signed, or another key signed it",
                                   sig_path, report);
            result = PGD_SIGNATURE_INVALID;
        }
    }
    free(sig);
    free(text);
    free(sig_path);
    return result;
}
