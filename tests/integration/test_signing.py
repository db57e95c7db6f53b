"""Signed evidence (README "Signed evidence"): a drill with report.signing_key leaves
<report.file>.sig, which stock OpenSSL verifies; a changed byte fails it; pgdrill-verify
--check-signature agrees both ways, with the configuration's key or an auditor's public key;
the history row and the webhook carry the signature; the private key is printed nowhere."""
import base64
import hashlib
import json
import os
import shutil
import subprocess

from drillstack import Stack, as_user, expect, expect_equal, expect_outcome, scenario
from test_delivery import Hooks, add_report_settings, history_dsn, https_server


def openssl(*args, check=True):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=30)
    expect(not check or p.returncode == 0, "openssl " + " ".join(args), p.stdout + p.stderr)
    return p


def ed25519_key(s, name, mode=0o600, algorithm="ed25519"):
    """A fresh key made by openssl, as an operator would make it; owned by the drill's user."""
    path = s.path(name)
    openssl("genpkey", "-algorithm", algorithm, "-out", path)
    os.chmod(path, mode)
    s.own(path)
    return path


def pem_body(path):
    """The key's base64 lines: what must never appear outside its file."""
    return [line for line in open(path).read().splitlines() if line and not line.startswith("-")]


def check_signature(s, *args):
    p = subprocess.run(as_user([s.path("bin", "pgdrill-verify"), "--check-signature" + args[0]]
                               + list(args[1:])),
                       capture_output=True, text=True, timeout=60, env=s.drill_env())
    return p


def refused_at_check_config(s, name, key_path, says):
    config = s.pgdrill_config(name + ".yml", edit=lambda t: add_report_settings(
        t, ["signing_key: " + key_path]))
    p = subprocess.run(as_user([s.path("bin", "pgdrill-verify"), "--config=" + config,
                                "--check-config"]),
                       capture_output=True, text=True, timeout=60, env=s.drill_env())
    expect_equal(p.returncode, 2, "exit code of --check-config with %s" % name)
    line = [x for x in p.stderr.splitlines() if "report.signing_key:" in x]
    expect(line and line[0].startswith(config + ":") and says in line[0],
           "FILE:LINE: report.signing_key: %s" % says, p.stderr)


@scenario
def signing_report():
    with Stack("signing") as s:
        s.psql("CREATE DATABASE drillhist")
        s.install_pgdrill()
        key = ed25519_key(s, "signing.pem")
        secret_lines = pem_body(key)

        # a key the drill could not sign with is a configuration error, before anything runs
        refused_at_check_config(s, "open", ed25519_key(s, "open.pem", mode=0o644),
                                "has mode 0644")
        refused_at_check_config(s, "ed448", ed25519_key(s, "ed448.pem", algorithm="ed448"),
                                "holds an ED448 key, not Ed25519")
        refused_at_check_config(s, "missing", s.path("missing.pem"), "could not open")

        server = https_server(s)
        try:
            url = "https://localhost:%d/signed" % server.server_address[1]
            config = s.pgdrill_config(edit=lambda t: add_report_settings(t, [
                "signing_key: " + key, 'history_dsn: "%s"' % history_dsn(s),
                "webhook: {url: '%s', ca_file: %s, retries: 0}" % (url, s.path("cert.pem"))]))
            report_path = s.path("state", "report.json")
            sig_path = report_path + ".sig"

            # one drill: bootstrap leaves a report still running, which is not signed
            p = s.bootstrap(config, s.path("drill"))
            expect_equal(p.returncode, 0, "bootstrap exit code")
            logs = p.stdout + p.stderr
            expect(not os.path.exists(sig_path), "a running report is not signed")
            port = s.start_restored(s.path("drill"))
            p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                         % (s.socket_dir, port))
            logs += p.stdout + p.stderr
            summary = p.stderr
            r = s.report()
            expect_outcome(p, r, 0, None)
        finally:
            server.shutdown()

        # the signature: 64 raw bytes, readable by anyone (it is no secret)
        sig = open(sig_path, "rb").read()
        expect_equal(len(sig), 64, "signature length")
        expect_equal(oct(os.stat(sig_path).st_mode & 0o777), "0o644", "signature file mode")

        # an auditor: the public key, then stock OpenSSL (README "Signed evidence")
        pub = s.path("pub.pem")
        openssl("pkey", "-in", key, "-pubout", "-out", pub)
        verified = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in",
                           report_path, "-sigfile", sig_path, check=False)
        expect_equal(verified.returncode, 0, "openssl pkeyutl -verify of the signed report\n"
                     + verified.stdout + verified.stderr)

        # the report names its key: SHA-256 of the raw 32-byte public key
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER"],
                             capture_output=True, timeout=30, check=True).stdout
        fingerprint = hashlib.sha256(der[-32:]).hexdigest()
        expect_equal(r["signature"]["key_fingerprint"], fingerprint, "report's key fingerprint")
        expect_equal(r["signature"]["algorithm"], "ed25519", "report's signature algorithm")
        expect_equal(r["signature"]["file"], sig_path, "report's signature file")
        expect("signature:    %s (Ed25519 key %s)" % (sig_path, fingerprint) in summary,
               "the summary names the signature and its key", summary[-3000:])
        expect_equal((r["delivery"]["history"], r["delivery"]["webhook"]),
                     ("after signing", "after signing"), "delivery after the signature")

        # the history row and the webhook carry the signature and the fingerprint
        value = base64.b64encode(sig).decode()
        row = s.psql("SELECT detail->'signature'->>'value', detail->'signature'->>'key_fingerprint'"
                     " FROM pgdrill.drill_status WHERE test_id = '%s' AND status = 'passed'"
                     % r["test_id"], db="drillhist")
        expect_equal(row, "%s|%s" % (value, fingerprint), "history row's signature")
        posts = [json.loads(body) for path, _, body in Hooks.received if path == "/signed"]
        expect_equal(len(posts), 1, "webhook requests")
        expect_equal((posts[0]["signature"]["value"], posts[0]["signature"]["key_fingerprint"]),
                     (value, fingerprint), "webhook's signature")

        # pgdrill-verify --check-signature agrees: with the configuration's key ...
        p = check_signature(s, "", "--config=" + config)
        expect_equal(p.returncode, 0, "--check-signature with report.signing_key\n" + p.stderr)
        expect(fingerprint in p.stdout, "names the key by its fingerprint", p.stdout)
        logs += p.stdout + p.stderr
        # ... and an auditor's copy with the public key only, no configuration at all
        audit = s.mkdir("audit", mode=0o755)
        copy = os.path.join(audit, "report.json")
        shutil.copy(report_path, copy)
        shutil.copy(sig_path, copy + ".sig")
        os.chmod(copy, 0o644)
        p = check_signature(s, "=" + copy, "--public-key=" + pub, "--config=/nonexistent.yml")
        expect_equal(p.returncode, 0, "--check-signature with --public-key\n" + p.stderr)
        logs += p.stdout + p.stderr

        # one byte changed: OpenSSL and pgdrill-verify both refuse it
        data = bytearray(open(copy, "rb").read())
        at = data.index(b'"passed"') + 1
        data[at] = ord("P")
        with open(copy, "wb") as f:
            f.write(bytes(data))
        refused = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", copy,
                          "-sigfile", copy + ".sig", check=False)
        expect(refused.returncode != 0, "openssl refuses a changed report",
               refused.stdout + refused.stderr)
        p = check_signature(s, "=" + copy, "--public-key=" + pub)
        expect_equal(p.returncode, 1, "--check-signature of a changed report\n" + p.stderr)
        expect("does NOT verify" in p.stderr, "says so", p.stderr)
        logs += p.stdout + p.stderr
        # no signature at all: could not check
        os.unlink(copy + ".sig")
        p = check_signature(s, "=" + copy, "--public-key=" + pub)
        expect_equal(p.returncode, 3, "--check-signature without a signature\n" + p.stderr)
        logs += p.stdout + p.stderr

        # the private key appears in no output, log, report, history row or webhook body
        history = s.psql("SELECT string_agg(detail::text, ' ') FROM pgdrill.drill_status",
                         db="drillhist")
        bodies = " ".join(body.decode() for _, _, body in Hooks.received)
        for line in secret_lines:
            for what, text in (("output", logs), ("history", history), ("webhook", bodies)):
                expect(line not in text, "the private key is in the %s" % what)
        for root, _, files in os.walk(s.dir):
            for name in files:
                path = os.path.join(root, name)
                if path == key or os.path.islink(path) or not os.path.isfile(path) \
                        or os.path.getsize(path) > 64 * 1024 * 1024:
                    continue
                content = open(path, "rb").read()
                for line in secret_lines:
                    expect(line.encode() not in content, "the private key is in " + path)
