/*
 * test_signing.c - the report's Ed25519 signature: RFC 8032's first test
 * vector (so the signature is standard Ed25519, the one `openssl pkeyutl
 * -rawin` checks), sign and verify, a changed byte failing, the key files
 * refused (mode, type, encrypted, not PEM), never a key in a message, and
 * a report file checked against its ".sig".
 */
#include "secret.h"
#include "signing.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 8032 section 7.1, TEST 1: the secret key as PKCS#8 PEM, its empty message's signature. */
#define RFC8032_KEY_LINE "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
#define RFC8032_PEM      "-----BEGIN PRIVATE KEY-----\n" RFC8032_KEY_LINE "\n-----END PRIVATE KEY-----\n"
static const char rfc8032_signature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
    "46bd25bf5f0595bbe24655141438e7a100b";
/* SHA-256 of its public key d75a9801...f707511a */
static const char rfc8032_fingerprint[] =
    "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_signing.XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
    char command[128];

    (void)state;
    snprintf(command, sizeof(command), "rm -rf '%s'", dir);
    pgd_secret_clear();
    return system(command) == 0 ? 0 : -1;
}

/* dir/name with content and mode; returns the path (one of 8 buffers used in turn). */
static char *write_file(const char *name, const void *content, size_t length, mode_t mode)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];
    FILE *f;

    snprintf(p, 128, "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, length, f), length);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static char *write_text(const char *name, const char *text, mode_t mode)
{
    return write_file(name, text, strlen(text), mode);
}

static void hex(const unsigned char *data, size_t length, char *out)
{
    for (size_t i = 0; i < length; i++)
        snprintf(out + 2 * i, 3, "%02x", data[i]);
}

static void test_rfc8032_vector(void **state)
{
    char *errmsg = NULL;
    pgd_signing_key *key = pgd_signing_key_load(write_text("rfc.pem", RFC8032_PEM, 0600), &errmsg);
    unsigned char sig[PGD_SIGNATURE_BYTES];
    char sig_hex[2 * PGD_SIGNATURE_BYTES + 1];
    char fingerprint[PGD_KEY_FINGERPRINT_SIZE];

    (void)state;
    assert_non_null(key);
    assert_true(pgd_signing_sign(key, "", 0, sig, &errmsg));
    hex(sig, sizeof(sig), sig_hex);
    assert_string_equal(sig_hex, rfc8032_signature);
    pgd_signing_fingerprint(key, fingerprint);
    assert_string_equal(fingerprint, rfc8032_fingerprint);
    assert_true(pgd_signing_verify(key, "", 0, sig, sizeof(sig)));
    pgd_signing_key_free(key);
}

/* A fresh Ed25519 key written as PEM: the private one (0600) and its public one (0644). */
static void fresh_keys(char **private_path, char **public_path)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char private_name[128];
    char public_name[128];
    FILE *f;

    assert_non_null(pkey);
    snprintf(private_name, sizeof(private_name), "%s/fresh.pem", dir);
    snprintf(public_name, sizeof(public_name), "%s/fresh.pub.pem", dir);
    f = fopen(private_name, "w");
    assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(private_name, 0600);
    f = fopen(public_name, "w");
    assert_int_equal(PEM_write_PUBKEY(f, pkey), 1);
    fclose(f);
    EVP_PKEY_free(pkey);
    *private_path = strdup(private_name);
    *public_path = strdup(public_name);
}

static void test_sign_verify_roundtrip(void **state)
{
    static const char report[] = "{\n  \"verdict\": \"passed\"\n}\n";
    char *private_path;
    char *public_path;
    char *errmsg = NULL;
    pgd_signing_key *key;
    pgd_signing_key *pub;
    unsigned char sig[PGD_SIGNATURE_BYTES];
    char changed[sizeof(report)];
    char fp_private[PGD_KEY_FINGERPRINT_SIZE];
    char fp_public[PGD_KEY_FINGERPRINT_SIZE];

    (void)state;
    fresh_keys(&private_path, &public_path);
    key = pgd_signing_key_load(private_path, &errmsg);
    pub = pgd_signing_public_key_load(public_path, &errmsg);
    assert_non_null(key);
    assert_non_null(pub);
    assert_true(pgd_signing_sign(key, report, strlen(report), sig, &errmsg));
    assert_true(pgd_signing_verify(pub, report, strlen(report), sig, sizeof(sig)));
    assert_true(pgd_signing_verify(key, report, strlen(report), sig, sizeof(sig)));

    /* One byte of the report changed ("passed" -> "failed"'s first letter): refused. */
    memcpy(changed, report, sizeof(report));
    changed[15] = 'f';
    assert_false(pgd_signing_verify(pub, changed, strlen(changed), sig, sizeof(sig)));
    /* One bit of the signature, or a signature of the wrong length. */
    sig[10] ^= 1;
    assert_false(pgd_signing_verify(pub, report, strlen(report), sig, sizeof(sig)));
    sig[10] ^= 1;
    assert_false(pgd_signing_verify(pub, report, strlen(report), sig, sizeof(sig) - 1));

    /* The fingerprint is the public key's, whichever half it is taken from. */
    pgd_signing_fingerprint(key, fp_private);
    pgd_signing_fingerprint(pub, fp_public);
    assert_int_equal(strlen(fp_private), 64);
    assert_string_equal(fp_private, fp_public);

    /* A public key cannot sign. */
    assert_false(pgd_signing_sign(pub, report, strlen(report), sig, &errmsg));
    free(errmsg);
    pgd_signing_key_free(key);
    pgd_signing_key_free(pub);
    free(private_path);
    free(public_path);
}

/* Refused with a message that names the problem and never holds a line of the key. */
static void assert_refused(const char *path, bool private_key, const char *expected)
{
    char *errmsg = NULL;
    pgd_signing_key *key = private_key ? pgd_signing_key_load(path, &errmsg)
                                       : pgd_signing_public_key_load(path, &errmsg);

    assert_null(key);
    assert_non_null(errmsg);
    if (strstr(errmsg, expected) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", errmsg, expected);
    assert_null(strstr(errmsg, RFC8032_KEY_LINE));
    assert_null(strstr(errmsg, "MC4CAQAw"));
    free(errmsg);
}

static void test_key_files_refused(void **state)
{
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char path[128];
    FILE *f;

    (void)state;
    /* Group or others may read it: refused, whatever else it holds. */
    assert_refused(write_text("open.pem", RFC8032_PEM, 0640), true,
                   "has mode 0640: a private key must give group and others no access");
    assert_refused(write_text("world.pem", RFC8032_PEM, 0604), true, "has mode 0604");
    assert_refused(write_text("garbage.pem", "not a key at all\n", 0600), true,
                   "is not a PEM private key");
    assert_refused(write_text("empty.pem", "", 0600), true, "is not a PEM private key");
    assert_refused("/nonexistent/key.pem", true, "could not open \"/nonexistent/key.pem\"");
    assert_refused(dir, true, "is not a regular file");
    /* A private key given where a public one is expected. */
    assert_refused(write_text("private-as-public.pem", RFC8032_PEM, 0600), false,
                   "is not a PEM public key");

    /* Another type of key. */
    assert_non_null(ec);
    snprintf(path, sizeof(path), "%s/ec.pem", dir);
    f = fopen(path, "w");
    assert_int_equal(PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(path, 0600);
    assert_refused(path, true, "holds an EC key, not Ed25519");
    snprintf(path, sizeof(path), "%s/ec.pub.pem", dir);
    f = fopen(path, "w");
    assert_int_equal(PEM_write_PUBKEY(f, ec), 1);
    fclose(f);
    assert_refused(path, false, "holds an EC key, not Ed25519");

    /* An encrypted key: nobody is there to type its passphrase. */
    snprintf(path, sizeof(path), "%s/encrypted.pem", dir);
    f = fopen(path, "w");
    assert_int_equal(
        PEM_write_PKCS8PrivateKey(f, ed, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"passphrase"),
        1);
    fclose(f);
    chmod(path, 0600);
    assert_refused(path, true, "is an encrypted private key");
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
}

/* Loading a private key makes its PEM lines secrets: masked wherever free text is printed. */
static void test_key_lines_are_secrets(void **state)
{
    char *errmsg = NULL;
    pgd_signing_key *key;
    char *masked;

    (void)state;
    pgd_secret_clear();
    key = pgd_signing_key_load(write_text("secret.pem", RFC8032_PEM, 0400), &errmsg);
    assert_non_null(key);
    masked = pgd_secret_mask("leaked: " RFC8032_KEY_LINE " (oops)");
    assert_string_equal(masked, "leaked: " PGD_SECRET_MASK " (oops)");
    free(masked);
    /* The armour lines are no secret. */
    masked = pgd_secret_mask("-----BEGIN PRIVATE KEY-----");
    assert_string_equal(masked, "-----BEGIN PRIVATE KEY-----");
    free(masked);
    pgd_signing_key_free(key);
    pgd_secret_clear();
}

static void test_check_file(void **state)
{
    static const char report[] = "{\"verdict\": \"passed\", \"note\": \"a\"}\n";
    char *errmsg = NULL;
    pgd_signing_key *key = pgd_signing_key_load(write_text("rfc.pem", RFC8032_PEM, 0600), &errmsg);
    unsigned char sig[PGD_SIGNATURE_BYTES];
    char with_nul[sizeof(report)];
    char *path;

    (void)state;
    assert_non_null(key);
    path = write_text("report.json", report, 0640);
    assert_int_equal(pgd_signing_check_file(key, path, &errmsg), PGD_SIGNATURE_UNREADABLE);
    assert_non_null(strstr(errmsg, "report.json.sig"));
    free(errmsg);
    errmsg = NULL;

    assert_true(pgd_signing_sign(key, report, strlen(report), sig, &errmsg));
    write_file("report.json.sig", sig, sizeof(sig), 0644);
    assert_int_equal(pgd_signing_check_file(key, path, &errmsg), PGD_SIGNATURE_VALID);
    assert_null(errmsg);

    /* A changed byte, a NUL among them: a finding, not an unreadable file. */
    memcpy(with_nul, report, sizeof(report));
    with_nul[strlen(report) - 3] = '\0';
    write_file("report.json", with_nul, strlen(report), 0640);
    assert_int_equal(pgd_signing_check_file(key, path, &errmsg), PGD_SIGNATURE_INVALID);
    assert_non_null(strstr(errmsg, "the report was changed after it was signed"));
    free(errmsg);
    errmsg = NULL;

    /* A signature cut short. */
    write_text("report.json", report, 0640);
    write_file("report.json.sig", sig, sizeof(sig) - 1, 0644);
    assert_int_equal(pgd_signing_check_file(key, path, &errmsg), PGD_SIGNATURE_INVALID);
    assert_non_null(strstr(errmsg, "holds 63 bytes, not a 64-byte Ed25519 signature"));
    free(errmsg);
    errmsg = NULL;

    assert_int_equal(pgd_signing_check_file(key, "/nonexistent/report.json", &errmsg),
                     PGD_SIGNATURE_UNREADABLE);
    free(errmsg);
    pgd_signing_key_free(key);
}

static void test_base64_and_sig_path(void **state)
{
    char *text;

    (void)state;
    text = pgd_signing_base64((const unsigned char *)"foob", 4);
    assert_string_equal(text, "Zm9vYg==");
    free(text);
    text = pgd_signing_sig_path("/var/lib/pgdrill/report.json");
    assert_string_equal(text, "/var/lib/pgdrill/report.json.sig");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vector),    cmocka_unit_test(test_sign_verify_roundtrip),
        cmocka_unit_test(test_key_files_refused), cmocka_unit_test(test_key_lines_are_secrets),
        cmocka_unit_test(test_check_file),        cmocka_unit_test(test_base64_and_sig_path),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
