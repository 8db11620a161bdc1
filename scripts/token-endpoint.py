"""An OAuth 2 token endpoint for the secured test broker (scripts/kafka.sh
start-secure): the client-credentials grant, as an identity provider serves
it, with JWTs signed RS256 by OpenSSL. It writes the public key as a JWKS
file for the broker's OAuthBearerValidatorCallbackHandler, then serves
POST /token on loopback and writes its port to PORT_FILE.

usage: token-endpoint.py KEY.pem JWKS_FILE PORT_FILE CLIENT_ID CLIENT_SECRET

A wrong client id or secret is answered 401 with error=invalid_client, as
RFC 6749 says and real providers do."""

import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

KEY, JWKS, PORT_FILE, CLIENT_ID, CLIENT_SECRET = sys.argv[1:6]
KID = "kprod-test"
ISSUER = "kprod-test"
AUDIENCE = "kafka"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write_jwks():
    out = subprocess.run(
        ["openssl", "rsa", "-in", KEY, "-noout", "-modulus"],
        check=True, capture_output=True, text=True,
    ).stdout
    modulus = bytes.fromhex(out.strip().split("=", 1)[1])
    key = {"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256",
           "n": b64url(modulus), "e": b64url((65537).to_bytes(3, "big"))}
    with open(JWKS, "w") as f:
        json.dump({"keys": [key]}, f)


def token(subject: str, scope: str) -> str:
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": KID}
    claims = {"iss": ISSUER, "sub": subject, "aud": AUDIENCE, "iat": now,
              "nbf": now, "exp": now + 3600, "scope": scope}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode()))
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", KEY],
        input=signing_input.encode(), check=True, capture_output=True,
    ).stdout
    return signing_input + "." + b64url(signature)


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path.split("?")[0] != "/token":
            return self.answer(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        field = lambda name: (form.get(name) or [""])[0]
        client, secret = field("client_id"), field("client_secret")
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            pair = base64.b64decode(auth[6:]).decode()
            client, _, secret = pair.partition(":")
            client, secret = urllib.parse.unquote(client), urllib.parse.unquote(secret)
        if field("grant_type") != "client_credentials":
            return self.answer(400, {"error": "unsupported_grant_type",
                                     "error_description": "only client_credentials is served"})
        if client != CLIENT_ID or secret != CLIENT_SECRET:
            return self.answer(401, {"error": "invalid_client",
                                     "error_description": "client authentication failed"})
        self.answer(200, {"access_token": token(client, field("scope")),
                          "token_type": "Bearer", "expires_in": 3600})

    def log_message(self, *args):
        pass


write_jwks()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# Renamed whole, so a reader never sees half a number.
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
