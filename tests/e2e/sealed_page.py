#!/usr/bin/env python3
"""An independent reading of docs/sealed-format.md, written from the page
alone: it shares no code with cdranon, and uses only Python's standard
library and the `cryptography` package's X25519 and AES-GCM primitives
(HPKE is built here from RFC 9180, as the page asks of a reader).

    sealed_page.py example PAGE
        opens the page's worked example with the page's own key, and
        checks each value the page gives.
    sealed_page.py open --key PRIVATE.pem SEALED [--out FILE] [--list FILE]
        opens every line of a file-mode sealed file; writes the records
        (a file's records exactly, a Kafka record followed by a line feed
        when it has none) and, with --list, one line per record:
        "NAME LINE LENGTH SHA256" (the header's file name and line, or
        "- -" for another source).
    sealed_page.py split INPUT --format csv|json [--delimiter C]
                          [--name NAME] [--out FILE] [--list FILE]
        splits an input file into its sealed plaintexts (records, and a
        CSV header line) by the page's section "File
        mode: what a record is", and writes them and their list the same
        way, so that the two can be compared byte for byte.

Exit status 0 when everything opened (or the example checked), 1 if not.
"""
import argparse
import base64
import hashlib
import hmac
import re
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

INFO = b"cdranon sealed v1"
LABEL_KEY = b"cdranon sealed v1 data key"
LABEL_PREFIX = b"cdranon sealed v1 nonce prefix"
KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0xFFFF
RECORD_MAX = (1 << 36) - 32
SCAN_LIMIT = 1 << 30


class Refused(Exception):
    """A sealed record that does not open; the message has no content."""


def i2osp(n, w):
    return n.to_bytes(w, "big")


# ---- RFC 9180 from primitives: HKDF-SHA256, DHKEM(X25519), base mode ----

def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def labeled_extract(suite, salt, label, ikm):
    return extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite, prk, label, info, length):
    return expand(prk, i2osp(length, 2) + b"HPKE-v1" + suite + label + info,
                  length)


def decap(enc, sk):
    """DHKEM(X25519, HKDF-SHA256).Decap: the shared secret."""
    suite = b"KEM" + i2osp(KEM_ID, 2)
    try:
        dh = sk.exchange(X25519PublicKey.from_public_bytes(enc))
    except ValueError:
        raise Refused("invalid encapsulated key (low-order point)")
    if dh == bytes(32):
        raise Refused("invalid encapsulated key (low-order point)")
    pkrm = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    eae_prk = labeled_extract(suite, b"", b"eae_prk", dh)
    return labeled_expand(suite, eae_prk, b"shared_secret", enc + pkrm, 32)


def exporter_secret(shared_secret, info):
    """KeySchedule for mode_base: the exporter secret."""
    suite = b"HPKE" + i2osp(KEM_ID, 2) + i2osp(KDF_ID, 2) + i2osp(AEAD_ID, 2)
    psk_id_hash = labeled_extract(suite, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(suite, shared_secret, b"secret", b"")
    return suite, labeled_expand(suite, secret, b"exp", context, 32)


def export(suite, secret, context, length):
    return labeled_expand(suite, secret, b"sec", context, length)


# ---- the sealed record ----

class Opener:
    def __init__(self, private_keys):
        self.keys = {}
        for sk in private_keys:
            pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                              serialization.PublicFormat.Raw)
            self.keys[hashlib.sha256(pk).digest()[:8]] = sk
        self.epochs = {}

    def epoch(self, key_id, enc):
        if (key_id, enc) not in self.epochs:
            suite, secret = exporter_secret(decap(enc, self.keys[key_id]), INFO)
            self.epochs[(key_id, enc)] = (export(suite, secret, LABEL_KEY, 32),
                                          export(suite, secret, LABEL_PREFIX, 4))
        return self.epochs[(key_id, enc)]

    def open(self, rec):
        """(plaintext, source) of one binary sealed record."""
        if len(rec) < 70:
            raise Refused("shorter than 70 bytes")
        if rec[0:4] != b"CDRS":
            raise Refused("bad magic")
        if rec[4] != 1:
            raise Refused("version")
        kind = rec[5]
        if kind > 2:
            raise Refused("source kind")
        key_id, enc = rec[6:14], rec[14:46]
        if int.from_bytes(rec[46:54], "big") >= 1 << 32:
            raise Refused("counter")
        h, source = 54, ("none",)
        if kind != 0:
            tail = 8 if kind == 1 else 12
            if len(rec) < h + 2 + 16:
                raise Refused("source does not fit")
            n = int.from_bytes(rec[h:h + 2], "big")
            if h + 2 + n + tail > len(rec) - 16:
                raise Refused("source does not fit")
            name = rec[h + 2:h + 2 + n]
            h += 2 + n
            if kind == 1:
                source = ("file", name, int.from_bytes(rec[h:h + 8], "big"))
            else:
                source = ("kafka", name,
                          int.from_bytes(rec[h:h + 4], "big", signed=True),
                          int.from_bytes(rec[h + 4:h + 12], "big", signed=True))
            h += tail
        if len(rec) - h - 16 > RECORD_MAX:
            raise Refused("too long")
        if key_id not in self.keys:
            raise Refused("sealed to key %s, not given" % key_id.hex())
        data_key, prefix = self.epoch(key_id, enc)
        nonce = prefix + rec[46:54]
        dec = Cipher(algorithms.AES(data_key),
                     modes.GCM(nonce, rec[len(rec) - 16:])).decryptor()
        dec.authenticate_additional_data(rec[:h])
        plain = dec.update(rec[h:len(rec) - 16])
        try:
            dec.finalize()
        except InvalidTag:
            raise Refused("authentication failed")
        return plain, source


B64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def decode_line(line):
    """A sealed file's line: standard base64, a trailing CR accepted."""
    if line.endswith(b"\r"):
        line = line[:-1]
    if not B64_LINE.fullmatch(line) or len(line) % 4:
        raise Refused("not base64")
    try:
        return base64.b64decode(line, validate=True)
    except ValueError:
        raise Refused("not base64")


def write_listing(records, out, listing):
    """Writes (name, line, bytes, needs_separator) records and their
    list."""
    with open(out, "wb") if out else sys.stdout.buffer as f, \
            open(listing, "w") if listing else open("/dev/null", "w") as ls:
        for name, line, data, separate in records:
            f.write(data)
            if separate and not data.endswith(b"\n"):
                f.write(b"\n")
            ls.write("%s %s %d %s\n" % (name, line, len(data),
                                        hashlib.sha256(data).hexdigest()))


def cmd_open(args):
    keys = []
    for path in args.key:
        with open(path, "rb") as f:
            sk = serialization.load_pem_private_key(f.read(), password=None)
        if not isinstance(sk, X25519PrivateKey):
            sys.exit("%s: not an X25519 private key" % path)
        keys.append(sk)
    opener, records, failed = Opener(keys), [], 0
    with open(args.sealed, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for i, line in enumerate(lines, 1):
        try:
            plain, source = opener.open(decode_line(line))
        except Refused as e:
            failed += 1
            print("%s:%d: did not open: %s" % (args.sealed, i, e),
                  file=sys.stderr)
            continue
        if source[0] == "file":
            records.append((source[1].decode("utf-8", "replace"),
                            str(source[2]), plain, False))
        else:
            records.append(("-", "-", plain, True))
    write_listing(records, args.out, args.list)
    print("sealed_page.py open: %d opened, %d did not" % (len(records), failed),
          file=sys.stderr)
    return 1 if failed else 0


# ---- the page's "File mode: what a record is" ----

def split_records(data, fmt, delimiter):
    """(line, bytes) of each sealed plaintext of a file-mode input: every
    record, and a CSV header line, which is sealed first like one."""
    pos, line, out = 0, 1, []
    if data.startswith(b"\xef\xbb\xbf"):
        pos = 3
    d = ord(delimiter)
    while pos < len(data):
        start, i, end = pos, pos, None
        if fmt == "json":
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
        else:
            quoted, field_start = False, True
            while i < len(data):
                if i - start >= SCAN_LIMIT:
                    i = len(data)
                    break
                c = data[i]
                if quoted:
                    if c == 0x22:
                        if i + 1 < len(data) and data[i + 1] == 0x22:
                            i += 2
                            continue
                        quoted = False
                    i += 1
                    continue
                if c == 0x0A:
                    i += 1
                    end = i
                    break
                if c == 0x22 and field_start:
                    quoted = True
                field_start = c == d
                i += 1
            if end is None:
                end = len(data)
        if fmt == "json" and end - start > SCAN_LIMIT:
            end = len(data)
        rec = data[start:end]
        pos = end
        first = line
        line += rec.count(b"\n")
        if rec in (b"\n", b"\r\n") or (rec == b"\r" and end == len(data)):
            continue
        out.append((first, rec))
    return out


def cmd_split(args):
    with open(args.input, "rb") as f:
        data = f.read()
    name = args.input if args.name is None else args.name
    records = [(name, str(line), rec, False) for line, rec in
               split_records(data, args.format, args.delimiter)]
    write_listing(records, args.out, args.list)
    return 0


# ---- the worked example ----

def block(page, name):
    m = re.search(r"<!-- example:%s -->\n```\n(.*?)```" % re.escape(name),
                  page, re.S)
    if not m:
        sys.exit("no example block %s" % name)
    return m.group(1)


def unhex(text):
    return bytes.fromhex("".join(text.split()))


def cmd_example(args):
    page = open(args.page, encoding="utf-8").read()
    sk = serialization.load_pem_private_key(
        block(page, "private-key-pem").encode(), password=None)
    raw = sk.private_bytes(serialization.Encoding.Raw,
                           serialization.PrivateFormat.Raw,
                           serialization.NoEncryption())
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw)
    checks = [
        ("private key hex", raw == unhex(block(page, "private-key-hex"))),
        ("public key hex", pk == unhex(block(page, "public-key-hex"))),
        ("key id", hashlib.sha256(pk).digest()[:8].hex() ==
         block(page, "key-id").strip()),
    ]
    sealed = unhex(block(page, "sealed-hex"))
    checks.append(("base64 line = hex record",
                   decode_line(block(page, "sealed-base64").strip().encode())
                   == sealed))
    opener = Opener([sk])
    data_key, prefix = opener.epoch(sealed[6:14], sealed[14:46])
    checks.append(("data key", data_key == unhex(block(page, "data-key"))))
    checks.append(("nonce prefix",
                   prefix == unhex(block(page, "nonce-prefix"))))
    plain, source = opener.open(sealed)
    want = block(page, "plaintext").encode()
    checks.append(("plaintext, its line feed included", plain == want))
    src = block(page, "source").split()
    checks.append(("source", source == ("file", src[1].encode(), int(src[3]))))
    bad = 0
    for what, ok in checks:
        print("  %s %s" % ("ok  " if ok else "FAIL", what))
        bad += not ok
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("example")
    p.add_argument("page")
    p = sub.add_parser("open")
    p.add_argument("--key", action="append", required=True)
    p.add_argument("sealed")
    p.add_argument("--out")
    p.add_argument("--list")
    p = sub.add_parser("split")
    p.add_argument("input")
    p.add_argument("--format", choices=("csv", "json"), required=True)
    p.add_argument("--delimiter", default=",")
    p.add_argument("--name")
    p.add_argument("--out")
    p.add_argument("--list")
    args = ap.parse_args()
    return {"example": cmd_example, "open": cmd_open,
            "split": cmd_split}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
