#!/usr/bin/env python3
"""Writes tokens.json: the JWT conformance vectors.

Run with: python3 tests/vectors/jwt/generate.py   (needs `pip install cryptography`)

Tokens are signed here with Python's `cryptography` and the standard library, an
implementation independent of the Rust core, from fixed keys. ECDSA signatures are
randomized, so a rerun changes ES256 tokens but not what they test. The expected
results below are written by hand: each case names the rule it exercises.
"""
import base64, hashlib, hmac, json, os
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

NOW = 1_800_000_000
ISS, AUD = "https://issuer.example", "tessera-api"

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def enc(obj) -> str:
    return b64(obj.encode() if isinstance(obj, str) else json.dumps(obj, separators=(",", ":")).encode())

HS_SECRET = bytes(range(32))
HS512_SECRET = bytes(range(100, 164))
EC_KEY = ec.derive_private_key(0x1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A7988, ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
ED_KEY_2 = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([8] * 32))
ATTACKER = bytes([0xAA] * 32)
# RSA keys cannot be derived from a seed here; a rerun makes a new one (and new tokens).
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

def rsa_jwk(key, kid, alg):
    nums = key.public_key().public_numbers()
    return {"kty": "RSA", "n": b64(nums.n.to_bytes(256, "big")), "e": b64(nums.e.to_bytes(3, "big")), "kid": kid, "alg": alg}

def ec_jwk(key, kid):
    nums = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64(nums.x.to_bytes(32, "big")), "y": b64(nums.y.to_bytes(32, "big")), "kid": kid, "alg": "ES256", "use": "sig"}

def ed_jwk(key, kid):
    raw = key.public_key().public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": kid, "alg": "EdDSA"}

JWKS = {"keys": [
    {"kty": "oct", "k": b64(HS_SECRET), "kid": "hs-1", "alg": "HS256"},
    {"kty": "oct", "k": b64(HS512_SECRET), "kid": "hs-512", "alg": "HS512"},
    ec_jwk(EC_KEY, "es-1"),
    ed_jwk(ED_KEY, "ed-1"),
    ed_jwk(ED_KEY_2, "ed-2"),
    rsa_jwk(RSA_KEY, "rs-1", "RS256"),
    rsa_jwk(RSA_KEY, "ps-1", "PS256"),
]}

def sign(alg, signing_input: bytes, key=None) -> bytes:
    if alg == "HS256":
        return hmac.new(key or HS_SECRET, signing_input, hashlib.sha256).digest()
    if alg == "HS512":
        return hmac.new(key or HS512_SECRET, signing_input, hashlib.sha512).digest()
    if alg == "ES256":
        r, s = utils.decode_dss_signature((key or EC_KEY).sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "EdDSA":
        return (key or ED_KEY).sign(signing_input)
    if alg == "RS256":
        return (key or RSA_KEY).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        return (key or RSA_KEY).sign(signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    return b""

def claims(**overrides):
    base = {"sub": "alice", "iss": ISS, "aud": AUD, "iat": NOW - 10, "exp": NOW + 3600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}

def token(header=None, payload=None, key=None, header_raw=None, payload_raw=None):
    header = header if header is not None else {"alg": "HS256", "kid": "hs-1"}
    h = header_raw if header_raw is not None else enc(header)
    p = payload_raw if payload_raw is not None else enc(payload if payload is not None else claims())
    alg = header.get("alg") if isinstance(header, dict) else None
    sig = sign(alg, f"{h}.{p}".encode(), key)
    return f"{h}.{p}.{b64(sig)}"

cases = []
def ok(name, tok, options=None, sub="alice"):
    case = {"name": name, "token": tok, "expect": {"sub": sub}}
    if options: case["options"] = options
    cases.append(case)
def bad(name, tok, code, options=None):
    case = {"name": name, "token": tok, "expect_error": code}
    if options: case["options"] = options
    cases.append(case)

ES = {"alg": "ES256", "kid": "es-1"}
ED = {"alg": "EdDSA", "kid": "ed-1"}

# Accepted.
ok("HS256 with kid", token())
ok("HS512 with kid", token({"alg": "HS512", "kid": "hs-512"}))
ok("ES256 with kid", token(ES))
ok("EdDSA with kid", token(ED))
ok("ES256 without kid: the single ES256 key", token({"alg": "ES256"}))
ok("RS256 with kid", token({"alg": "RS256", "kid": "rs-1"}))
ok("PS256 with kid", token({"alg": "PS256", "kid": "ps-1"}))
ok("RS256 without kid: the single RS256 key", token({"alg": "RS256"}))
ok("aud as an array holding the accepted audience", token(payload=claims(aud=["other", AUD])))
ok("typ JWT", token({"alg": "HS256", "kid": "hs-1", "typ": "JWT"}))
ok("typ at+jwt", token({"alg": "HS256", "kid": "hs-1", "typ": "at+jwt"}))
ok("typ application/AT+JWT (case and prefix ignored)", token({"alg": "HS256", "kid": "hs-1", "typ": "application/AT+JWT"}))
ok("expired 30 s ago, inside the 60 s leeway", token(payload=claims(exp=NOW - 30)))
ok("exp as a fractional NumericDate", token(payload=claims(exp=NOW + 3600.5)))
t = token()
ok("exactly max_token_length bytes", t, {"max_token_length": len(t)})
ok("expected typ at+jwt present", token({"alg": "HS256", "kid": "hs-1", "typ": "at+jwt"}), {"expected_type": "at+jwt"})
ok("unknown header and claim members are ignored", token({"alg": "HS256", "kid": "hs-1", "x-note": 1}, claims(custom={"a": [1, 2]})))

# Algorithm rules.
none = enc({"alg": "none"}) + "." + enc(claims()) + "."
bad("alg none with an empty signature", none, "ERR_TOKEN_ALG_NOT_ALLOWED")
bad("alg None", enc({"alg": "None"}) + "." + enc(claims()) + ".", "ERR_TOKEN_ALG_NOT_ALLOWED")
bad("alg NONE", enc({"alg": "NONE"}) + "." + enc(claims()) + ".", "ERR_TOKEN_ALG_NOT_ALLOWED")
bad("alg hs256 (alg is case-sensitive)", token({"alg": "hs256", "kid": "hs-1"}), "ERR_TOKEN_ALG_NOT_ALLOWED")
bad("alg ES512 (not supported)", token({"alg": "ES512", "kid": "es-1"}), "ERR_TOKEN_ALG_NOT_ALLOWED")
es_public = EC_KEY.public_key().public_bytes(
    encoding=__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.X962,
    format=__import__("cryptography.hazmat.primitives.serialization", fromlist=["PublicFormat"]).PublicFormat.UncompressedPoint)
bad("HS256 signed with the ES256 public key, kid of the ES256 key (key confusion)", token({"alg": "HS256", "kid": "es-1"}, key=es_public), "ERR_TOKEN_ALG_MISMATCH")
bad("HS384 with no HS384 key", token({"alg": "HS384"}), "ERR_TOKEN_ALG_MISMATCH")
rsa_public_pem = RSA_KEY.public_key().public_bytes(
    __import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.PEM,
    __import__("cryptography.hazmat.primitives.serialization", fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo)
bad("HS256 signed with the RSA public key (PEM) as secret, kid of the RSA key (key confusion)", token({"alg": "HS256", "kid": "rs-1"}, key=rsa_public_pem), "ERR_TOKEN_ALG_MISMATCH")
bad("PS256 token under the RS256 key's kid", token({"alg": "PS256", "kid": "rs-1"}), "ERR_TOKEN_ALG_MISMATCH")
rh, rp = enc({"alg": "PS256", "kid": "ps-1"}), enc(claims())
pkcs1 = RSA_KEY.sign(f"{rh}.{rp}".encode(), padding.PKCS1v15(), hashes.SHA256())
bad("PS256 header over a PKCS#1 v1.5 signature", f"{rh}.{rp}.{b64(pkcs1)}", "ERR_TOKEN_BAD_SIGNATURE")
bad("alg RS384 (not supported)", token({"alg": "RS384", "kid": "rs-1"}), "ERR_TOKEN_ALG_NOT_ALLOWED")
bad("unknown kid", token({"alg": "HS256", "kid": "nope"}), "ERR_TOKEN_UNKNOWN_KID")
bad("EdDSA without kid and two EdDSA keys", token({"alg": "EdDSA"}), "ERR_TOKEN_AMBIGUOUS_KEY")
bad("crit names an extension", token({"alg": "HS256", "kid": "hs-1", "crit": ["exp"], "exp": 1}), "ERR_TOKEN_UNKNOWN_CRIT")
bad("crit empty is malformed", token({"alg": "HS256", "kid": "hs-1", "crit": []}), "ERR_TOKEN_MALFORMED")

# Signatures.
good = token()
h, p, s = good.split(".")
bad("tampered payload", f"{h}.{enc(claims(sub='mallory'))}.{s}", "ERR_TOKEN_BAD_SIGNATURE")
bad("tampered header", f"{enc({'alg': 'HS256', 'kid': 'hs-1', 'typ': 'JWT'})}.{p}.{s}", "ERR_TOKEN_BAD_SIGNATURE")
flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
bad("tampered signature", f"{h}.{p}.{flipped}", "ERR_TOKEN_BAD_SIGNATURE")
bad("truncated signature (whole bytes)", f"{h}.{p}.{s[:40]}", "ERR_TOKEN_BAD_SIGNATURE")
bad("signature cut to an impossible base64url length", f"{h}.{p}.{s[:41]}", "ERR_TOKEN_MALFORMED")
bad("empty signature", f"{h}.{p}.", "ERR_TOKEN_BAD_SIGNATURE")
bad("HS256 signed with another secret", token(key=ATTACKER), "ERR_TOKEN_BAD_SIGNATURE")
bad("EdDSA signed by ed-2 under kid ed-1", token(ED, key=ED_KEY_2), "ERR_TOKEN_BAD_SIGNATURE")
eh, ep = enc(ES), enc(claims())
der = EC_KEY.sign(f"{eh}.{ep}".encode(), ec.ECDSA(hashes.SHA256()))
bad("ES256 signature in DER form", f"{eh}.{ep}.{b64(der)}", "ERR_TOKEN_BAD_SIGNATURE")
n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
bad("ES256 signature with r = 0", f"{eh}.{ep}.{b64(bytes(32) + (1).to_bytes(32, 'big'))}", "ERR_TOKEN_BAD_SIGNATURE")
bad("ES256 signature with s = n (out of range)", f"{eh}.{ep}.{b64((1).to_bytes(32, 'big') + n.to_bytes(32, 'big'))}", "ERR_TOKEN_BAD_SIGNATURE")
bad("embedded jwk is ignored: HS256 signed with the attacker's key", token({"alg": "HS256", "jwk": {"kty": "oct", "k": b64(ATTACKER)}}, key=ATTACKER), "ERR_TOKEN_BAD_SIGNATURE")
bad("jku and x5u are ignored", token({"alg": "HS256", "kid": "hs-1", "jku": "https://evil.example/jwks", "x5u": "https://evil.example/cert"}, key=ATTACKER), "ERR_TOKEN_BAD_SIGNATURE")

# Time.
bad("expired", token(payload=claims(exp=NOW - 61)), "ERR_TOKEN_EXPIRED")
bad("not yet valid", token(payload=claims(nbf=NOW + 120)), "ERR_TOKEN_NOT_YET_VALID")
bad("issued in the future", token(payload=claims(iat=NOW + 120)), "ERR_TOKEN_ISSUED_IN_FUTURE")
bad("older than max_age", token(payload=claims(iat=NOW - 7200)), "ERR_TOKEN_TOO_OLD", {"max_age_seconds": 3600})
bad("max_age needs iat", token(payload=claims(iat=None)), "ERR_TOKEN_MISSING_CLAIM", {"max_age_seconds": 3600})
bad("exp at the largest i64 minus leeway still passes the overflow-free arithmetic, nbf far ahead", token(payload=claims(exp=2**63 - 1, nbf=2**63 - 1)), "ERR_TOKEN_NOT_YET_VALID")

# Issuer, audience, presence.
bad("wrong issuer", token(payload=claims(iss="https://evil.example")), "ERR_TOKEN_WRONG_ISSUER")
bad("missing issuer", token(payload=claims(iss=None)), "ERR_TOKEN_MISSING_CLAIM")
bad("wrong audience", token(payload=claims(aud="other")), "ERR_TOKEN_WRONG_AUDIENCE")
bad("audience array without the accepted one", token(payload=claims(aud=["a", "b"])), "ERR_TOKEN_WRONG_AUDIENCE")
bad("missing audience", token(payload=claims(aud=None)), "ERR_TOKEN_MISSING_CLAIM")
bad("missing exp: a token must expire", token(payload=claims(exp=None)), "ERR_TOKEN_MISSING_CLAIM")
bad("missing sub", token(payload=claims(sub=None)), "ERR_TOKEN_MISSING_CLAIM")
bad("missing configured claim", token(), "ERR_TOKEN_MISSING_CLAIM", {"required_claims": ["tenant"]})

# Size and type.
t = token()
bad("one byte over max_token_length", t, "ERR_TOKEN_TOO_LARGE", {"max_token_length": len(t) - 1})
bad("default limit of 8192 bytes", token(payload=claims(pad="x" * 8200)), "ERR_TOKEN_TOO_LARGE")
bad("typ JOSE", token({"alg": "HS256", "kid": "hs-1", "typ": "JOSE"}), "ERR_TOKEN_WRONG_TYP")
bad("typ refresh+jwt is not an access token", token({"alg": "HS256", "kid": "hs-1", "typ": "refresh+jwt"}), "ERR_TOKEN_WRONG_TYP")
bad("expected typ absent", token(), "ERR_TOKEN_WRONG_TYP", {"expected_type": "at+jwt"})

# Structure.
bad("two segments", f"{h}.{p}", "ERR_TOKEN_MALFORMED")
bad("four segments", f"{h}.{p}.{s}.{s}", "ERR_TOKEN_MALFORMED")
bad("five segments (a JWE shape)", f"{h}.{p}.{s}.{s}.{s}", "ERR_TOKEN_MALFORMED")
bad("empty string", "", "ERR_TOKEN_MALFORMED")
bad("padding in a segment", f"{h}=.{p}.{s}", "ERR_TOKEN_MALFORMED")
sub_ = claims(sub="a~~~~?>>>")
hp = enc(sub_)
assert "-" in hp or "_" in hp, hp
tok = token(payload=sub_)
th, tp, ts = tok.split(".")
bad("standard base64 instead of base64url", f"{th}.{tp.replace('-', '+').replace('_', '/')}.{ts}", "ERR_TOKEN_MALFORMED")
bad("whitespace inside a segment", f"{h}.{p[:10]} {p[10:]}.{s}", "ERR_TOKEN_MALFORMED")
bad("newline inside a segment", f"{h}.{p[:10]}\n{p[10:]}.{s}", "ERR_TOKEN_MALFORMED")
bad("leading whitespace", " " + good, "ERR_TOKEN_MALFORMED")
bad("header not JSON", token(header_raw=enc("not json"), header={"alg": "HS256"}), "ERR_TOKEN_MALFORMED")
bad("header a JSON array", token(header_raw=enc('["HS256"]'), header={"alg": "HS256"}), "ERR_TOKEN_MALFORMED")
bad("duplicate header member names", token(header_raw=enc('{"alg":"HS256","kid":"hs-1","alg":"none"}'), header={"alg": "HS256"}), "ERR_TOKEN_MALFORMED")
bad("kid not a string", token({"alg": "HS256", "kid": 1}), "ERR_TOKEN_MALFORMED")
bad("alg missing", token(header_raw=enc('{"kid":"hs-1"}'), header={"alg": "HS256"}), "ERR_TOKEN_MALFORMED")
bad("claims a JSON array", token(payload_raw=enc("[1,2]")), "ERR_TOKEN_MALFORMED")
bad("claims not JSON", token(payload_raw=enc("hello")), "ERR_TOKEN_MALFORMED")
dup = '{"sub":"alice","iss":"%s","aud":"%s","exp":%d,"sub":"admin"}' % (ISS, AUD, NOW + 3600)
bad("duplicate claim names", token(payload_raw=enc(dup)), "ERR_TOKEN_MALFORMED")
bad("exp as a string", token(payload=claims(exp=str(NOW + 3600))), "ERR_TOKEN_MALFORMED")
huge = '{"sub":"alice","iss":"%s","aud":"%s","exp":1e300}' % (ISS, AUD)
bad("exp as a huge float", token(payload_raw=enc(huge)), "ERR_TOKEN_MALFORMED")
bad("exp past i64", token(payload=claims(exp=2**64)), "ERR_TOKEN_MALFORMED")
bad("sub a number", token(payload=claims(sub=42)), "ERR_TOKEN_MALFORMED")
bad("aud a number", token(payload=claims(aud=7)), "ERR_TOKEN_MALFORMED")
bad("scope not a string", token(payload=claims(scope=["a"])), "ERR_TOKEN_MALFORMED")

# authorize: the token first, then the snapshot decision for its subject.
POLICY = {
    "tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
    "roles": {"viewer": {"grants": ["posts:read"]}, "editor": {"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}},
    "members": {"alice": ["editor"], "bob": ["viewer"]},
}
authorize = [
    {"name": "granted through the snapshot", "token": token(), "permission": "posts:edit",
     "expect": {"allowed": True, "reason": "granted", "subject": "alice",
                "role": "editor", "pattern": "posts:*"}},
    {"name": "denied by a deny in the snapshot", "token": token(), "permission": "posts:delete",
     "expect": {"allowed": False, "reason": "denied", "subject": "alice",
                "role": "editor", "pattern": "posts:delete"}},
    {"name": "token scope narrows: the snapshot allows, the scope does not cover", "token": token(payload=claims(scope="posts:read")), "permission": "posts:edit",
     "expect": {"allowed": False, "reason": "outside_token_scope", "subject": "alice"}},
    {"name": "token scope with a wildcard covers", "token": token(payload=claims(scope="comments:read posts:*")), "permission": "posts:edit",
     "expect": {"allowed": True, "reason": "granted", "subject": "alice",
                "role": "editor", "pattern": "posts:*"}},
    {"name": "token scope never widens", "token": token(payload=claims(sub="bob", scope="posts:*")), "permission": "posts:edit",
     "expect": {"allowed": False, "reason": "no_matching_grant", "subject": "bob"}},
    {"name": "token roles claim grants nothing", "token": token(payload=claims(sub="bob", roles=["editor"])), "permission": "posts:edit",
     "expect": {"allowed": False, "reason": "no_matching_grant", "subject": "bob"}},
    {"name": "unknown subject", "token": token(payload=claims(sub="mallory")), "permission": "posts:read",
     "expect": {"allowed": False, "reason": "unknown_user", "subject": "mallory"}},
    {"name": "expired token", "token": token(payload=claims(exp=NOW - 600)), "permission": "posts:read",
     "expect": {"allowed": False, "reason": "ERR_TOKEN_EXPIRED"}},
    {"name": "subject breaking the user rule", "token": token(payload=claims(sub="al ice")), "permission": "posts:read",
     "expect": {"allowed": False, "reason": "ERR_INVALID_IDENTIFIER"}},
]

doc = {
    "description": "JWT validation and authorize vectors. Each case may override `options` or `now`; "
                   "`expect.sub` is the subject of the accepted token. Written by generate.py.",
    "jwks": JWKS,
    "options": {"issuers": [ISS], "audiences": [AUD], "leeway_seconds": 60},
    "now": NOW,
    "cases": cases,
    "policy": POLICY,
    "authorize": authorize,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokens.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=1, ensure_ascii=True)
    f.write("\n")
print(f"{len(cases)} token cases, {len(authorize)} authorize cases -> {out}")
