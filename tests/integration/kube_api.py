"""A Kubernetes API server that answers from recorded exchanges (kube/exchanges.json).

There is no Kubernetes API server on these machines; pgdrill-fleet's Kubernetes inventory
and runner are tested against the answers an API server gives, in the documented shapes, to
exactly the requests they make. This serves them over TLS on 127.0.0.1 with a bearer token
(a request without it gets 401, as from a real server), records every request, and answers
a request nothing was recorded for with 404 (and remembers it: the scenario fails on it).
Standard library only.
"""
import datetime
import http.server
import json
import os
import re
import ssl
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXCHANGES = os.path.join(HERE, "kube", "exchanges.json")


def _status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def _now_minus(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill_times(value):
    if isinstance(value, str):
        return re.sub(r"\$\{now-(\d+)\}", lambda m: _now_minus(int(m.group(1))), value)
    if isinstance(value, list):
        return [_fill_times(v) for v in value]
    if isinstance(value, dict):
        return {k: _fill_times(v) for k, v in value.items()}
    return value


class RecordedApi:
    def __init__(self, cert, key, token):
        with open(EXCHANGES) as f:
            self.exchanges = json.load(f)["exchanges"]
        self.token = token
        self.requests = []      # (method, path, authorization, body)
        self.unexpected = []    # (method, path) nothing was recorded for
        self.served = {}        # exchange index -> times
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                auth = self.headers.get("Authorization")
                api.requests.append((self.command, self.path, auth, body))
                if auth != "Bearer " + api.token:
                    return self.answer(401, _status(401, "Unauthorized", "Unauthorized"))
                status, answer = api.answer(self.command, self.path, body)
                self.answer(status, answer)

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, method, path, body):
        """The next recorded answer for (method, path); the last one repeats."""
        candidates = [i for i, e in enumerate(self.exchanges) if e["method"] == method and (
            path == e["path"] or (e["path"].startswith("*") and path.startswith(e["path"][1:])))]
        if not candidates:
            self.unexpected.append((method, path))
            return 404, _status(404, "NotFound", "nothing recorded for %s %s" % (method, path))
        used = [i for i in candidates if self.served.get(i)]
        fresh = [i for i in candidates if not self.served.get(i)]
        index = fresh[0] if fresh else used[-1]
        self.served[index] = self.served.get(index, 0) + 1
        exchange = self.exchanges[index]
        answer = exchange["body"]
        if answer == "$created":
            answer = dict(body)
            answer["metadata"] = dict(body.get("metadata", {}), uid="%08x-0000-4000-8000-000000000000"
                                      % (int(time.time() * 1000) & 0xffffffff),
                                      resourceVersion="981500",
                                      creationTimestamp=_now_minus(0))
            answer["status"] = {}
        elif answer == "$deleted-job":
            name = path.rsplit("/", 1)[1].split("?")[0]
            answer = {"kind": "Job", "apiVersion": "batch/v1",
                      "metadata": {"name": name, "namespace": "pgdrill",
                                   "deletionTimestamp": _now_minus(0),
                                   "finalizers": ["orphan"] if "Orphan" in path else []},
                      "status": {}}
        return exchange["status"], _fill_times(answer)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
