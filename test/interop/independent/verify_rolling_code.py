#!/usr/bin/python3
"""An independent verifier of worker passes and rolling codes (issue 20).

Written from docs/passes.md alone, without reading the project's TypeScript (gateway/access/pass/,
simulators/cloud/pass-issuer.ts), with Debian's python3-cryptography (Ed25519) and python3-cbor2
(CBOR values). Its only purpose is to show that the format the project produces is the format the
document describes, so that it is not only self-consistent.

Usage:
  verify_rolling_code.py --jwks FILE --station ID --now SECONDS [options] [TEXT]
  TEXT is the rolling code ("RC1:..."); read from stdin when left out. Surrounding whitespace is
  trimmed, as the station trims a scanned line.
  --pass-hex: TEXT is a pass (COSE_Sign1) in hex instead; checks 2-10 of the doc's table only.

Prints one JSON line: {"ok": true, "sub", "passId", "step", ...} and exits 0, or
{"ok": false, "code": "<contract code>", "check": <row of the doc's table>, "reason", ...} and
exits 1. Exit 2 is a usage error.
"""

import argparse
import base64
import hashlib
import json
import math
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "RC1:"
MAX_TEXT_CHARS = 1200
MAX_CODE_BYTES = 800
MAX_PASS_BYTES = 800
STEP_SECONDS = 5
SKEW_STEPS = 1
PHONE_CONTEXT = "station-gateway rolling code v1"
ACTS = ["unlock", "swap", "dispense", "operate", "diagnose"]
ROLES = ["worker", "operator"]
MAX_SAFE = 2**53 - 1
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
ACCESS_CLAIM = -65537


class Refused(Exception):
    def __init__(self, code, check, reason, unverified=False):
        super().__init__(reason)
        self.code = code
        self.check = check
        self.reason = reason
        self.unverified = unverified


def bad(check, reason, unverified=False):
    return Refused("BAD_TOKEN", check, reason, unverified)


# ---- base45, RFC 9285, strict -------------------------------------------------------------


def b45decode(text, check):
    if len(text) % 3 == 1:
        raise bad(check, "base45: length is 1 mod 3", True)
    out = bytearray()
    for i in range(0, len(text), 3):
        chunk = text[i : i + 3]
        digits = []
        for ch in chunk:
            d = B45.find(ch)
            if d < 0:
                raise bad(check, f"base45: character {ch!r} outside the alphabet", True)
            digits.append(d)
        n = sum(d * 45**k for k, d in enumerate(digits))  # c + 45d + 2025e, c first
        if len(chunk) == 3:
            if n > 65535:
                raise bad(check, "base45: triple over 65535", True)
            out += bytes([n >> 8, n & 0xFF])
        else:
            if n > 255:
                raise bad(check, "base45: final pair over 255", True)
            out.append(n)
    return bytes(out)


def b45encode(data):
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [B45[n % 45], B45[(n // 45) % 45], B45[n // 2025]]
    if len(data) % 2:
        n = data[-1]
        out += [B45[n % 45], B45[n // 45]]
    return "".join(out)


# ---- strict CBOR: RFC 8949 core deterministic encoding (§4.2.1) and nothing else -------------


def _scan(data, pos, check, depth=0):
    """Walks one data item's heads, refusing what the doc's CBOR rules refuse. Returns the end."""
    if depth > 16:
        raise bad(check, "CBOR nested too deep", True)
    if pos >= len(data):
        raise bad(check, "CBOR truncated", True)
    ib = data[pos]
    major, ai = ib >> 5, ib & 0x1F
    pos += 1
    if ai == 31:
        raise bad(check, "CBOR indefinite length", True)
    if 28 <= ai <= 30:
        raise bad(check, "CBOR reserved additional information", True)
    if major == 7:
        if ai < 24:
            if ai in (20, 21, 22):  # false, true, null
                return pos
            raise bad(check, "CBOR simple value other than false/true/null (undefined included)", True)
        if ai == 24:
            raise bad(check, "CBOR one-byte simple value", True)
        size = {25: 2, 26: 4, 27: 8}[ai]
        if pos + size > len(data):
            raise bad(check, "CBOR truncated float", True)
        # Whether a float is as short as it can be is left to the re-encoding comparison.
        return pos + size
    if ai < 24:
        arg = ai
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
        if pos + size > len(data):
            raise bad(check, "CBOR truncated head", True)
        arg = int.from_bytes(data[pos : pos + size], "big")
        pos += size
        shortest = 24 if arg < 256 else 25 if arg < 65536 else 26 if arg < 2**32 else 27
        if arg < 24 or ai != shortest:
            raise bad(check, "CBOR integer or length in more bytes than needed", True)
    if major == 0:
        if arg > MAX_SAFE:
            raise bad(check, "CBOR integer outside ±(2^53 − 1)", True)
        return pos
    if major == 1:
        if arg + 1 > MAX_SAFE:
            raise bad(check, "CBOR integer outside ±(2^53 − 1)", True)
        return pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise bad(check, "CBOR truncated string", True)
        if major == 3:
            try:
                data[pos : pos + arg].decode("utf-8", errors="strict")
            except UnicodeDecodeError:
                raise bad(check, "CBOR text that is not UTF-8", True)
        return pos + arg
    if major == 4:
        for _ in range(arg):
            pos = _scan(data, pos, check, depth + 1)
        return pos
    if major == 5:
        keys = set()
        for _ in range(arg):
            start = pos
            pos = _scan(data, pos, check, depth + 1)
            key = bytes(data[start:pos])
            if key in keys:
                raise bad(check, "CBOR duplicate map key", True)
            keys.add(key)
            pos = _scan(data, pos, check, depth + 1)
        return pos
    raise bad(check, "CBOR tag", True)  # major 6: tags of any number are refused


def det_encode(value):
    """RFC 8949 §4.2.1 core deterministic encoding. Map keys are sorted by the bytes of their
    encodings (cbor2's own canonical mode sorts shorter keys first, RFC 7049's older rule, so it is
    used here for single values only)."""
    if isinstance(value, dict):
        items = sorted((det_encode(k), det_encode(v)) for k, v in value.items())
        return _head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(det_encode(v) for v in value)
    return cbor2.dumps(value, canonical=True)


def _head(major, n):
    return bytes(_int_head(major, n))


def _int_head(major, n):
    if n < 24:
        return [(major << 5) | n]
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 256**size:
            return [(major << 5) | ai] + list(n.to_bytes(size, "big"))
    raise ValueError("too long")


def strict_loads(data, check, unverified):
    data = bytes(data)
    try:
        end = _scan(data, 0, check)
    except Refused as e:
        e.unverified = unverified
        raise
    if end != len(data):
        raise bad(check, "bytes after the CBOR value", unverified)
    try:
        value = cbor2.loads(data)
    except Exception as e:  # noqa: BLE001 - anything cbor2 cannot read is junk here
        raise bad(check, f"CBOR: {e}", unverified)
    try:
        again = det_encode(value)
    except Exception as e:  # noqa: BLE001
        raise bad(check, f"CBOR does not re-encode: {e}", unverified)
    if again != data:
        raise bad(check, "CBOR is not in core deterministic encoding (re-encoding differs)", unverified)
    return value


# ---- shapes ----------------------------------------------------------------------------------


def is_uint(v):
    return type(v) is int and v >= 0


def is_int(v):
    return type(v) is int


def is_text(v, lo, hi):
    # "chars" read as Unicode code points; the doc does not say (see the report).
    return type(v) is str and lo <= len(v) <= hi


def is_bytes(v, lo=0, hi=None):
    return type(v) is bytes and len(v) >= lo and (hi is None or len(v) <= hi)


def text_list(v, check, what):
    if type(v) is not list or not 1 <= len(v) <= 32:
        raise bad(check, f"{what}: a list of 1 to 32 entries")
    for s in v:
        if not is_text(s, 1, 64):
            raise bad(check, f"{what}: each 1..64 chars")
    return v


def parse_claims(payload):
    c = strict_loads(payload, 5, False)
    if type(c) is not dict:
        raise bad(5, "claims: not a map")
    allowed = {1, 2, 4, 5, 6, 7, 8, ACCESS_CLAIM}
    for k in c:
        if not is_int(k) or k not in allowed:
            raise bad(5, f"claims: key {k!r} not defined")
    for k in (2, 4, 6, 7, 8, ACCESS_CLAIM):
        if k not in c:
            raise bad(5, f"claims: key {k} missing")
    if 1 in c and not is_text(c[1], 1, 256):
        raise bad(5, "iss: 1..256 chars")
    if not is_text(c[2], 1, 128):
        raise bad(5, "sub: 1..128 chars")
    for k, name in ((4, "exp"), (5, "nbf"), (6, "iat")):
        if k in c and not is_uint(c[k]):
            raise bad(5, f"{name}: not a uint (a float is refused)")
    if not is_bytes(c[7], 8, 32):
        raise bad(5, "cti: 8..32 bytes")
    cnf = c[8]
    if type(cnf) is not dict or set(cnf) != {1} or type(cnf[1]) is not dict:
        raise bad(5, "cnf: {1: COSE_Key}")
    key = cnf[1]
    if set(key) != {1, -1, -2} or key[1] != 1 or key[-1] != 6 or not is_bytes(key[-2], 32, 32):
        raise bad(5, "cnf: COSE_Key must be exactly {1: 1, -1: 6, -2: bstr .size 32}")
    if not is_uint(key[1]) or not is_uint(key[-1]):
        raise bad(5, "cnf: kty/crv not integers")
    a = c[ACCESS_CLAIM]
    if type(a) is not dict:
        raise bad(5, "access: not a map")
    for k in a:
        if not is_int(k) or k not in (1, 2, 3, 4):
            raise bad(5, f"access: key {k!r} not defined")
    role = a.get(1, 0)
    if not is_uint(role) or role >= len(ROLES):
        raise bad(5, "access: role must be 0 or 1")
    stations = text_list(a[2], 5, "stations") if 2 in a else []
    groups = text_list(a[3], 5, "groups") if 3 in a else []
    if not stations and not groups:
        raise bad(5, "access: at least one station or group")
    if 4 not in a:
        raise bad(5, "access: grants missing")
    grants = a[4]
    if type(grants) is not list or not 1 <= len(grants) <= 32:
        raise bad(5, "grants: a list of 1 to 32 entries")
    for g in grants:
        if (
            type(g) is not list
            or len(g) != 2
            or not is_uint(g[0])
            or g[0] >= len(ACTS)
            or not (g[1] is None or type(g[1]) is str)
        ):
            raise bad(5, "grant: [act 0..4, res tstr / null]")
    return {
        "iss": c.get(1),
        "sub": c[2],
        "exp": c[4],
        "nbf": c.get(5, c[6]),
        "nbfGiven": 5 in c,
        "iat": c[6],
        "cti": c[7],
        "phoneKey": key[-2],
        "role": ROLES[role],
        "stations": stations,
        "groups": groups,
        "grants": [[ACTS[g[0]], g[1]] for g in grants],
    }


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def load_jwks(path):
    with open(path, encoding="utf-8") as f:
        jwks = json.load(f)
    keys = {}
    for jwk in jwks.get("keys", []):
        # The doc: "The key is the JWK's Ed25519 public key x." Only OKP/Ed25519 keys count.
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and isinstance(jwk.get("kid"), str):
            x = b64u_decode(jwk["x"])
            if len(x) == 32:
                keys[jwk["kid"]] = x
    return keys


def ed25519_ok(public, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


# ---- the checks, numbered as in the doc's table ----------------------------------------------


def verify_pass(pass_bytes, keys, opts, out):
    """Checks 2 to 10. Fills `out` as it learns things; returns the claims."""
    if len(pass_bytes) > MAX_PASS_BYTES:
        raise bad(2, "pass over 800 bytes", True)
    p = strict_loads(pass_bytes, 2, True)
    if type(p) is not list or len(p) != 4:
        raise bad(2, "pass: not a COSE_Sign1 array of 4", True)
    protected_b, unprotected, payload, signature = p
    if not is_bytes(protected_b) or not is_bytes(payload) or not is_bytes(signature, 64, 64):
        raise bad(2, "pass: COSE_Sign1 element types", True)
    if type(unprotected) is not dict or unprotected:
        raise bad(2, "pass: unprotected header must be the empty map", True)
    prot = strict_loads(protected_b, 2, True)
    if type(prot) is not dict or set(prot) != {1, 4}:
        raise bad(2, "pass: protected header must hold exactly keys 1 and 4", True)
    if prot[1] not in (-8, -19) or not is_int(prot[1]):
        raise bad(2, f"pass: alg {prot[1]!r} refused", True)
    kid_b = prot[4]
    if not is_bytes(kid_b, 1, 64):
        raise bad(2, "pass: kid must be 1..64 bytes", True)
    # 3: kid
    try:
        kid = kid_b.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Refused("UNKNOWN_KEY", 3, "kid is not UTF-8", True)
    out["kid"] = kid
    if kid not in keys:
        raise Refused("UNKNOWN_KEY", 3, f"kid {kid!r} not trusted", True)
    # 4: the cloud's signature over Sig_structure
    sig_structure = det_encode(["Signature1", protected_b, b"", payload])
    out["sigStructureBytes"] = len(sig_structure)
    if not ed25519_ok(keys[kid], signature, sig_structure):
        raise bad(4, "the pass's signature does not verify", True)
    # 5: claims
    c = parse_claims(payload)
    out.update(
        sub=c["sub"],
        passId=b64u(c["cti"]),
        ctiHex=c["cti"].hex(),
        iss=c["iss"] if c["iss"] is not None else f"key:{kid}",
        role=c["role"],
        iat=c["iat"],
        passNbf=c["nbf"],
        passExp=c["exp"],
        stations=c["stations"],
        groups=c["groups"],
        grants=c["grants"],
    )
    # 6: times
    if not (c["exp"] > c["nbf"] >= c["iat"]):
        raise bad(6, "pass times: exp > nbf >= iat does not hold")
    if c["exp"] - c["iat"] > opts.max_pass_seconds:
        raise bad(6, "pass longer than the station's maximum")
    # 7: station
    if opts.station not in c["stations"] and not set(opts.group or []) & set(c["groups"]):
        raise Refused("WRONG_STATION", 7, "the pass does not name this station or its groups")
    # 8: clock policy
    if opts.clock == "refuse" or opts.clock == "never-trusted":
        raise Refused("CLOCK_UNTRUSTED", 8, "the station's clock is untrusted")
    now, skew = opts.now, opts.skew
    # 9, 10
    if opts.clock == "trusted" and c["nbf"] > now + skew:
        raise Refused("NOT_YET_VALID", 9, "pass not yet valid")
    if c["exp"] < now - skew:
        raise Refused("EXPIRED", 10, "pass expired")
    return c


def verify_code(text, keys, opts, out):
    # 1: text, base45, size, CBOR, shape
    if not text.startswith(PREFIX):
        raise bad(1, "does not start RC1:", True)
    if len(text) > MAX_TEXT_CHARS:
        raise bad(1, "text over 1200 characters", True)
    code = b45decode(text[len(PREFIX) :], 1)
    if len(code) > MAX_CODE_BYTES:
        raise bad(1, "code over 800 bytes", True)
    out["codeBytes"] = len(code)
    rc = strict_loads(code, 1, True)
    if type(rc) is not list or len(rc) != 6:
        raise bad(1, "code: not an array of 6", True)
    pass_b, step, station, act, res, sig = rc
    if not (
        is_bytes(pass_b)
        and is_uint(step)
        and is_text(station, 0, 64)
        and is_uint(act)
        and act < len(ACTS)
        and is_text(res, 1, 64)
        and is_bytes(sig, 64, 64)
    ):
        raise bad(1, "code: element types or sizes", True)
    out.update(step=step, codeStation=station, act=ACTS[act], res=res, passBytes=len(pass_b))
    if opts.dump:
        out.update(codeHex=code.hex(), passHex=pass_b.hex(), phoneSigHex=sig.hex())
    # 2..10
    c = verify_pass(pass_b, keys, opts, out)
    # 11: the phone's signature
    pass_hash = hashlib.sha256(pass_b).digest()
    message = det_encode([PHONE_CONTEXT, pass_hash, step, station, act, res])
    out["phoneMessageBytes"] = len(message)
    if opts.dump:
        out.update(passSha256=pass_hash.hex(), phoneMessageHex=message.hex())
    if not ed25519_ok(c["phoneKey"], sig, message):
        raise bad(11, "the phone's signature does not verify with the pass's cnf key")
    # 12: the code's station
    if station not in ("", opts.station) and station != opts.station_code:
        raise Refused("WRONG_STATION", 12, f"code made for station {station!r}")
    # 13, 14: the step against the station's
    s = math.floor(opts.now / STEP_SECONDS)
    out["stationStep"] = s
    if step < s - SKEW_STEPS:
        raise Refused("EXPIRED", 13, "code from an earlier time step")
    if opts.clock == "trusted" and step > s + SKEW_STEPS:
        raise Refused("NOT_YET_VALID", 14, "code from a later time step")
    # 15: the step's start within the pass
    start = step * STEP_SECONDS
    if start > c["exp"] + opts.skew:
        raise Refused("EXPIRED", 15, "code's step after the pass's exp")
    if start < c["nbf"] - opts.skew:
        raise Refused("NOT_YET_VALID", 15, "code's step before the pass's nbf")
    # 16: a grant
    if not any(g[0] == ACTS[act] and (g[1] is None or g[1] == res) for g in c["grants"]):
        raise Refused("FORBIDDEN", 16, f"the pass does not grant {ACTS[act]} {res}")
    # 17: replay
    replay_key = f"pass:{b64u(c['cti'])}:{step}"
    out["replayKey"] = replay_key
    out["exp"] = min(c["exp"], (step + 1 + SKEW_STEPS) * STEP_SECONDS)
    if replay_key in (opts.used or []):
        raise Refused("REPLAYED", 17, "code used before")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("text", nargs="?", help="the rolling code text; stdin when left out")
    ap.add_argument("--jwks", required=True, help="the station's access.trustedKeys JWKS file")
    ap.add_argument("--station", required=True, help="this station's id")
    ap.add_argument("--station-code", help="this station's configured short code")
    ap.add_argument("--group", action="append", help="a station group of this station (repeatable)")
    ap.add_argument("--now", required=True, type=float, help="what the clock trust reads, unix seconds")
    ap.add_argument(
        "--clock",
        choices=["trusted", "floor", "refuse", "never-trusted"],
        default="trusted",
        help="trusted; untrusted with the floor policy; untrusted with refuse; untrusted and no trusted time ever seen",
    )
    ap.add_argument("--skew", type=int, default=60, help="access.clockSkewSeconds")
    ap.add_argument("--max-pass-seconds", type=int, default=7 * 86400)
    ap.add_argument("--used", action="append", help="a replay key already used (repeatable)")
    ap.add_argument("--pass-hex", action="store_true", help="the input is a pass in hex: checks 2-10")
    ap.add_argument("--dump", action="store_true", help="also print the decoded bytes in hex")
    opts = ap.parse_args(argv)
    text = opts.text if opts.text is not None else sys.stdin.read()
    text = text.strip()  # the station trims surrounding whitespace
    keys = load_jwks(opts.jwks)
    out = {"ok": False}
    try:
        if opts.pass_hex:
            try:
                pass_b = bytes.fromhex(text)
            except ValueError:
                raise bad(2, "not hex", True)
            out["passBytes"] = len(pass_b)
            verify_pass(pass_b, keys, opts, out)
        else:
            verify_code(text, keys, opts, out)
    except Refused as e:
        out.update(ok=False, code=e.code, check=e.check, reason=e.reason, unverified=e.unverified)
        print(json.dumps(out, separators=(",", ":")))
        return 1
    out["ok"] = True
    print(json.dumps(out, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
