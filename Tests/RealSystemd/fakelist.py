#!/usr/bin/python3
"""A stand-in for every bot list, run inside the test container on 127.0.0.1.

Usage: fakelist.py PORT LOG RULES. Each request is appended to LOG as one JSON line (time,
method, path, headers, body). RULES is a JSON file read on every request: a list of
{"prefix": "/slow", "status": 429, "headers": {"Retry-After": "6000"}, "body": "{}"}; the first
rule whose prefix starts the path answers, else 200 {}. It prints nothing, so nothing it sees
(tokens included) reaches the journal through it."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG, RULES = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def rule_for(path):
    try:
        rules = json.load(open(RULES))
    except (OSError, ValueError):
        rules = []
    for rule in rules:
        if path.startswith(rule.get("prefix", "/")):
            return rule
    return {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with open(LOG, "a") as log:
            log.write(json.dumps({"t": time.time(), "method": self.command, "path": self.path,
                                  "headers": dict(self.headers.items()), "body": body}) + "\n")
        rule = rule_for(self.path)
        out = rule.get("body", "{}").encode()
        self.send_response(rule.get("status", 200))
        for name, value in rule.get("headers", {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PATCH = do_PUT = answer

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
