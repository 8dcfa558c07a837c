#!/usr/bin/env python3
"""cdranon's policy for the generic CSV layout, written in Python the way a
data engineer would write a Kafka job: confluent-kafka, the csv module,
json.dumps, the standard library's hmac for pseudonyms and the
`cryptography` package for the sealed copies.

A benchmark peer, not part of the product.  It applies the same policy as
config/generic.yaml (same output fields in the same order, same
pseudonyms, same suppression list, every input record sealed to the
custodian in cdranon's sealed format v1, see docs/sealed-format.md), so
that its CPU time per record can be compared with cdranon's.

    cdrpeer.py kafka --bootstrap HOST:PORT --input TOPIC --group GROUP
                     --anonymised TOPIC --sealed TOPIC --dead-letter TOPIC
                     --hmac-key FILE --custodian-public PEM
                     [--suppression FILE] [--delivery exactly-once|at-least-once]
                     [--commit-interval-ms 100]
    cdrpeer.py file  --input CSV --anonymised JSONL --sealed B64
                     --dead-letter JSONL
                     --hmac-key FILE --custodian-public PEM [--suppression FILE]

File mode reads a CSV file without a header line and writes what cdranon
anonymise writes; bench/peers/check.sh compares the two.
"""

import argparse
import base64
import calendar
import csv
import datetime
import functools
import hashlib
import hmac
import json
import os
import re
import signal
import struct
import sys
import time
from decimal import Decimal

COLUMNS = [
    "record_id", "record_type", "start_time", "end_time", "duration",
    "calling_number", "called_number", "imsi", "imei", "cell_id",
    "bytes_up", "bytes_down", "cause_for_term", "subscriber_name",
    "subscriber_address", "payment_ref",
]
COL = {name: i for i, name in enumerate(COLUMNS)}

# The home numbering plan of config/generic.yaml.
COUNTRY_CODE = "44"
NATIONAL_PREFIX = "0"
INTERNATIONAL_PREFIX = "00"
SHORT_CODE_MAX_DIGITS = 6

DURATION_BOUNDS = ["1", "30", "60", "180", "600", "1800", "3600"]

EPOCH_RECORDS = 1_000_000
EPOCH_SECONDS = 3600


class Malformed(Exception):
    """A record breaks a rule; the message names the rule, never the value."""


# --- numbers --------------------------------------------------------------

# ITU-T E.164 assigned country codes (the same list as src/number.c).
_CC1 = {"1", "7"}
_CC2 = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43",
    "44", "45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56",
    "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
    "86", "90", "91", "92", "93", "94", "95", "98",
}
_CC3_DIGITS = {
    "21": "12368", "22": "0123456789", "23": "0123456789",
    "24": "0123456789", "25": "012345678", "26": "0123456789",
    "29": "01789", "35": "0123456789", "37": "0123456789",
    "38": "012356789", "42": "013", "50": "0123456789",
    "59": "0123456789", "67": "023456789", "68": "012356789",
    "69": "012", "80": "08", "85": "02356", "87": "08",
    "88": "012368", "96": "012345678", "97": "012345679",
    "99": "1234568",
}


def country_code_len(digits):
    if not digits:
        return 0
    if digits[0] in _CC1:
        return 1
    if len(digits) < 2:
        return 0
    if digits[:2] in _CC2:
        return 2
    if len(digits) < 3:
        return 0
    return 3 if digits[2] in _CC3_DIGITS.get(digits[:2], "") else 0


WITHHELD_WORDS = {"anonymous", "withheld", "private", "unavailable"}
PERSONAL, SERVICE, WITHHELD = 0, 1, 2
_SPACE = " \t\r\n\v\f"


def _e164(digits):
    if digits[0] == "0":
        raise Malformed("country code starts with 0")
    if len(digits) > 15:
        raise Malformed("more than 15 digits")
    if len(digits) < 7:
        raise Malformed("fewer than 7 digits in E.164 number")
    if country_code_len(digits) == 0:
        raise Malformed("unassigned country code")
    return "+" + digits


_SEPARATORS = str.maketrans("", "", " -.)")
_PLAIN_NUMBER = re.compile(r"(\+?)([0-9]+)")


def _scan_number(s):
    """Reads a number character by character: (plus, digits), or raises
    Malformed naming the first rule broken."""
    digits = []
    plus = False
    i = 0
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9":
            digits.append(c)
            if len(digits) > 32:
                raise Malformed("more than 15 digits")
        elif c in " -.)":
            pass
        elif c == "(":
            # "+44 (0)7700 ...": the national trunk prefix shown in brackets.
            if s[i + 1:i + 3] == "0)":
                d = "".join(digits)
                if plus:
                    cc = d
                elif d.startswith(INTERNATIONAL_PREFIX) and \
                        len(d) > len(INTERNATIONAL_PREFIX):
                    cc = d[len(INTERNATIONAL_PREFIX):]
                else:
                    cc = None
                if cc is not None and country_code_len(cc) == len(cc):
                    i += 2
        elif c == "+":
            if plus:
                raise Malformed("more than one '+'")
            if digits:
                raise Malformed("'+' not at start of number")
            plus = True
        elif c.isascii() and c.isalpha():
            raise Malformed("letters in number")
        else:
            raise Malformed("invalid character in number")
        i += 1

    return plus, "".join(digits)


def canonical_msisdn(value):
    """Returns (class, canonical form) under the home plan."""
    s = value.strip(_SPACE)
    if not s or s.lower() in WITHHELD_WORDS:
        return WITHHELD, "withheld"
    low = s.lower()
    if low.startswith("tel:"):
        s = s[4:].split(";", 1)[0]
        if not s:
            raise Malformed("empty tel URI")
    elif low.startswith("sip:") or low.startswith("sips:"):
        s = s[4:] if low.startswith("sip:") else s[5:]
        if "@" not in s:
            raise Malformed("SIP URI without user part")
        s = s.split("@", 1)[0].split(";", 1)[0]
        if not s:
            raise Malformed("empty SIP user part")
    if s and s[0].isascii() and s[0].isalpha() and s.lower() in WITHHELD_WORDS:
        return WITHHELD, "withheld"

    if "(" not in s:
        m = _PLAIN_NUMBER.fullmatch(s.translate(_SEPARATORS))
        if m:
            plus, d = bool(m[1]), m[2]
            if len(d) > 32:
                raise Malformed("more than 15 digits")
        else:
            plus, d = _scan_number(s)
    else:
        plus, d = _scan_number(s)
    if plus:
        if not d:
            raise Malformed("no digits after '+'")
        return PERSONAL, _e164(d)
    if not d:
        raise Malformed("no digits in number")
    if d.startswith(INTERNATIONAL_PREFIX):
        if len(d) == len(INTERNATIONAL_PREFIX):
            raise Malformed("no digits after international prefix")
        return PERSONAL, _e164(d[len(INTERNATIONAL_PREFIX):])
    if len(d) <= SHORT_CODE_MAX_DIGITS:
        return SERVICE, d
    if d.startswith(NATIONAL_PREFIX):
        if len(d) == len(NATIONAL_PREFIX):
            raise Malformed("no digits after national prefix")
        return PERSONAL, _e164(COUNTRY_CODE + d[len(NATIONAL_PREFIX):])
    if len(d) > 15:
        raise Malformed("more than 15 digits")
    if len(d) > 10:
        return PERSONAL, _e164(d)
    if len(d) >= 7:
        return PERSONAL, _e164(COUNTRY_CODE + d)
    raise Malformed("too many digits for a short code, too few for a "
                    "national number")


def canonical_imsi(value):
    s = value.strip(_SPACE)
    if not s:
        return WITHHELD, "withheld"
    if not (s.isascii() and s.isdigit()):
        raise Malformed("IMSI has a non-digit character")
    if len(s) < 6:
        raise Malformed("IMSI shorter than 6 digits")
    if len(s) > 15:
        raise Malformed("IMSI longer than 15 digits")
    return PERSONAL, s


def canonical_imei(value):
    s = value.strip(_SPACE)
    if not s:
        return WITHHELD, "withheld"
    digits = s.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()):
        raise Malformed("IMEI has a character other than a digit, '-' or "
                        "space")
    if len(digits) < 14:
        raise Malformed("IMEI shorter than 14 digits")
    if len(digits) > 16:
        raise Malformed("IMEI longer than 16 digits")
    return PERSONAL, digits[:14]


CANONICAL = {"msisdn": canonical_msisdn, "imsi": canonical_imsi,
             "imei": canonical_imei}


# --- pseudonyms -----------------------------------------------------------

def load_key_ring(path):
    """The last key of a cdranon key file: (key id, key bytes)."""
    st = os.stat(path)
    if st.st_mode & 0o077:
        sys.exit(f"{path}: readable by group or others")
    last = None
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                last = (line[0], bytes.fromhex(line[1]))
    if last is None:
        sys.exit(f"{path}: no key")
    return last


class Pseudonymiser:
    def __init__(self, key_id, key):
        self.key_id = key_id
        self.key = key
        # Subscribers repeat: remember recent pseudonyms, as cdranon does.
        self.pseudonym = functools.lru_cache(maxsize=65536)(self._pseudonym)

    def _pseudonym(self, kind, canonical):
        msg = b"cdranon.v1." + kind.encode() + b"\0" + canonical.encode()
        mac = hmac.new(self.key, msg, hashlib.sha256).digest()[:16]
        return self.key_id + ":" + \
            base64.b32encode(mac).decode().lower().rstrip("=")


# --- timestamps -----------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})"
                  r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
                  r"(?:[Zz]|([+-])(\d{2}):?(\d{2})?)?)?")
_EPOCH = re.compile(r"(-?)(\d+)(?:\.(\d+))?")
EPOCH_MIN = -62167219200
EPOCH_MAX = 253402300799


def parse_time(s):
    if len(s) >= 5 and s[0].isdigit() and s[4] == "-":
        m = _ISO.fullmatch(s)
        if not m:
            raise Malformed("not a timestamp")
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        hh, mm, ss = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        oh, om = int(m[8] or 0), int(m[9] or 0)
        if not 1 <= mo <= 12:
            raise Malformed("month out of range")
        if not 1 <= d <= calendar.monthrange(max(y, 1), mo)[1]:
            raise Malformed("day out of range")
        if hh > 23 or mm > 59 or ss > 60:
            raise Malformed("time out of range")
        if oh > 23 or om > 59:
            raise Malformed("zone offset out of range")
        sign = -1 if m[7] == "-" else 1
        t = calendar.timegm((y, mo, d, hh, mm, min(ss, 59))) - \
            (sign * (oh * 3600 + om * 60) if m[7] else 0)
    else:
        m = _EPOCH.fullmatch(s)
        if not m:
            raise Malformed("not a timestamp")
        t = int(m[2])
        if m[1]:
            t = -t - (1 if m[3] and m[3].strip("0") else 0)
    if not EPOCH_MIN <= t <= EPOCH_MAX:
        raise Malformed("timestamp out of range")
    return t


def iso_utc(t):
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=t)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


def json_number(text):
    """A JSON number's text as a Python number that json.dumps writes
    back the same way (integers, which is what CDR counters are)."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


# --- the policy of config/generic.yaml ------------------------------------

class Policy:
    def __init__(self, pseudonymiser, suppressed):
        self.ps = pseudonymiser
        self.suppressed = suppressed
        self.bounds = [(Decimal(b), b) for b in DURATION_BOUNDS]

    def pseudonym(self, kind, cls, canon):
        return self.ps.pseudonym(kind, canon) if cls == PERSONAL else canon

    def apply(self, row):
        """Returns (anonymised dict, key) or None for a suppressed record;
        raises Malformed naming the field and the rule."""
        # Each number is read once, for the suppression check and for the
        # fields made from it.
        numbers = {}
        for name in ("calling_number", "called_number"):
            try:
                numbers[name] = canonical_msisdn(row[COL[name]])
            except Malformed as e:
                numbers[name] = e
            n = numbers[name]
            if isinstance(n, tuple) and n[0] == PERSONAL and \
                    n[1] in self.suppressed:
                return None

        out = {}
        field = action = None
        try:
            field, action = "record_id", "keep"
            out["record_id"] = row[COL["record_id"]]
            field, action = "record_type", "keep"
            out["record_type"] = row[COL["record_type"]]

            field, action = "start_time", "truncate hour"
            v = row[COL["start_time"]].strip(_SPACE)
            out["start_hour"] = iso_utc(parse_time(v) // 3600 * 3600) \
                if v else None

            field, action = "duration", "bucket " + ",".join(DURATION_BOUNDS)
            out["duration"] = self.bucket(row[COL["duration"]].strip(_SPACE))

            action = "pseudonymise msisdn"
            for field, name in (("calling_number", "caller"),
                                ("called_number", "callee")):
                n = numbers[field]
                if isinstance(n, Malformed):
                    raise n
                out[name] = self.pseudonym("msisdn", *n)
            action = "country"
            cls, canon = numbers["called_number"]
            cc = country_code_len(canon[1:]) if cls == PERSONAL else 0
            out["called_country"] = canon[1:1 + cc] if cc else None

            field, action = "imsi", "pseudonymise imsi"
            out["subscriber"] = self.pseudonym(
                "imsi", *canonical_imsi(row[COL["imsi"]]))
            field, action = "imei", "pseudonymise imei"
            cls, canon = canonical_imei(row[COL["imei"]])
            out["device"] = self.pseudonym("imei", cls, canon)
            action = "tac"
            out["device_model"] = canon[:8] if cls == PERSONAL else None

            field, action = "cell_id", "keep"
            out["cell_id"] = row[COL["cell_id"]]
            for name in ("bytes_up", "bytes_down", "cause_for_term"):
                field, action = name, "keep number"
                v = row[COL[name]].strip(_SPACE)
                if v and not _NUMBER.fullmatch(v):
                    raise Malformed("not a number")
                out[name] = json_number(v) if v else None
        except Malformed as e:
            raise Malformed(f"field '{field}': {action}: {e}") from None
        caller = out["caller"]
        key = caller if ":" in caller else None
        return out, key

    def bucket(self, v):
        if not v:
            return None
        if not _NUMBER.fullmatch(v):
            raise Malformed("not a number")
        d = Decimal(v)
        for i, (bound, text) in enumerate(self.bounds):
            if d < bound:
                if i == 0:
                    return "<" + text
                return self.bounds[i - 1][1] + "-" + text
        return self.bounds[-1][1] + "+"


def load_suppression(path):
    numbers = set()
    if not path:
        return numbers
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                cls, canon = canonical_msisdn(line)
                if cls == PERSONAL:
                    numbers.add(canon)
    return numbers


# --- sealing (docs/sealed-format.md) ---------------------------------------

def _hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def _labeled_extract(suite, salt, label, ikm):
    return _hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite, prk, label, info, length):
    return _hkdf_expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite +
                        label + info, length)


KEM_SUITE = b"KEM" + struct.pack(">H", 0x0020)
HPKE_SUITE = b"HPKE" + struct.pack(">HHH", 0x0020, 0x0001, 0xFFFF)
INFO = b"cdranon sealed v1"


class Sealer:
    """Seals records to the custodian's X25519 key, one HPKE encapsulation
    per epoch and AES-256-GCM per record."""

    def __init__(self, public_pem_path):
        from cryptography.hazmat.primitives import serialization
        with open(public_pem_path, "rb") as f:
            self.pk = serialization.load_pem_public_key(f.read())
        self.pk_raw = self.pk.public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(self.pk_raw).digest()[:8]
        self.counter = EPOCH_RECORDS
        self.epoch_start = 0.0

    def _new_epoch(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.x25519 import \
            X25519PrivateKey
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        sk_e = X25519PrivateKey.generate()
        enc = sk_e.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)
        dh = sk_e.exchange(self.pk)
        eae_prk = _labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
        shared = _labeled_expand(KEM_SUITE, eae_prk, b"shared_secret",
                                 enc + self.pk_raw, 32)
        psk_id_hash = _labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
        info_hash = _labeled_extract(HPKE_SUITE, b"", b"info_hash", INFO)
        context = b"\x00" + psk_id_hash + info_hash
        secret = _labeled_extract(HPKE_SUITE, shared, b"secret", b"")
        exporter = _labeled_expand(HPKE_SUITE, secret, b"exp", context, 32)
        data_key = _labeled_expand(HPKE_SUITE, exporter, b"sec",
                                   b"cdranon sealed v1 data key", 32)
        self.nonce_prefix = _labeled_expand(
            HPKE_SUITE, exporter, b"sec", b"cdranon sealed v1 nonce prefix", 4)
        self.aead = AESGCM(data_key)
        self.enc = enc
        self.counter = 0
        self.epoch_start = time.monotonic()

    def seal(self, record, source):
        if self.counter >= EPOCH_RECORDS or \
                time.monotonic() - self.epoch_start >= EPOCH_SECONDS:
            self._new_epoch()
        counter = struct.pack(">Q", self.counter)
        self.counter += 1
        header = b"CDRS\x01" + source[0] + self.key_id + self.enc + counter + \
            source[1]
        return header + self.aead.encrypt(self.nonce_prefix + counter,
                                          record, header)


def kafka_source(topic, partition, offset):
    t = topic.encode()
    return (b"\x02", struct.pack(">H", len(t)) + t +
            struct.pack(">iq", partition, offset))


def file_source(name, line):
    n = name.encode()
    return (b"\x01", struct.pack(">H", len(n)) + n + struct.pack(">Q", line))


# --- one record -----------------------------------------------------------

def transform(policy, value):
    """(verdict, anonymised JSON bytes or dead-letter reason, key)."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "dead", "record: invalid UTF-8", None
    text = text.rstrip("\n").rstrip("\r") if text.endswith("\n") else text
    try:
        row = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return "dead", "csv: malformed record", None
    if len(row) != len(COLUMNS):
        return "dead", (f"csv: {len(row)} columns, expected "
                        f"{len(COLUMNS)}"), None
    try:
        result = policy.apply(row)
    except Malformed as e:
        return "dead", str(e), None
    if result is None:
        return "suppressed", None, None
    out, key = result
    return ("publish",
            json.dumps(out, ensure_ascii=False,
                       separators=(",", ":")).encode("utf-8"),
            key)


def dead_letter(reason, source):
    return json.dumps({"reason": reason, "source": source},
                      ensure_ascii=False, separators=(",", ":"))


# --- file mode ------------------------------------------------------------

def run_file(args, policy, sealer):
    name = args.input
    counts = {"publish": 0, "suppressed": 0, "dead": 0}
    with open(name, "rb") as f, open(args.anonymised, "w", encoding="utf-8") as out, \
            open(args.sealed, "w") as sealed, \
            open(args.dead_letter, "w", encoding="utf-8") as dead:
        data = f.read()
        # Frame records as csv does (a quoted field may hold line breaks),
        # keeping each record's bytes and first line number.
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        i = 0
        while i < len(lines):
            start = i
            rec = lines[i]
            while rec.count(b'"') % 2 == 1 and i + 1 < len(lines):
                i += 1
                rec += b"\n" + lines[i]
            i += 1
            if not rec.strip():
                continue
            verdict, payload, _ = transform(policy, rec)
            counts[verdict] += 1
            if verdict == "publish":
                out.write(payload.decode("utf-8") + "\n")
            elif verdict == "dead":
                dead.write(dead_letter(payload, {"file": name,
                                                 "line": start + 1}) + "\n")
            sealed.write(base64.b64encode(
                sealer.seal(rec + b"\n", file_source(name, start + 1))
            ).decode() + "\n")
    print(f"cdrpeer: {sum(counts.values())} records: {counts['publish']} "
          f"published, {counts['suppressed']} suppressed, {counts['dead']} "
          "dead-lettered", file=sys.stderr)


# --- Kafka mode -----------------------------------------------------------

running = True


def _stop(signum, frame):
    global running
    running = False


def run_kafka(args, policy, sealer):
    from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaException,
                                 Producer)

    eos = args.delivery == "exactly-once"
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    })
    pconf = {"bootstrap.servers": args.bootstrap, "enable.idempotence": True}
    if eos:
        pconf["transactional.id"] = args.group + "-pypeer"
    producer = Producer(pconf)
    if eos:
        producer.init_transactions()
    consumer.subscribe([args.input])

    in_txn = False
    batch_start = time.monotonic()
    pending = 0
    interval = args.commit_interval_ms / 1000.0

    def produce(topic, value, key):
        while True:
            try:
                producer.produce(topic, value=value, key=key)
                return
            except BufferError:
                producer.poll(0.05)

    def commit():
        nonlocal in_txn, pending
        if eos:
            if not in_txn:
                return
            try:
                producer.send_offsets_to_transaction(
                    consumer.position(consumer.assignment()),
                    consumer.consumer_group_metadata())
                producer.commit_transaction()
            except KafkaException as e:
                if not e.args[0].txn_requires_abort():
                    raise
                producer.abort_transaction()
                for tp in consumer.committed(consumer.assignment()):
                    if tp.offset < 0:
                        tp.offset = OFFSET_BEGINNING
                    consumer.seek(tp)
            in_txn = False
        elif pending:
            producer.flush()
            consumer.commit(asynchronous=False)
        pending = 0

    while running:
        msgs = consumer.consume(num_messages=500, timeout=0.1)
        for msg in msgs:
            if msg.error():
                print(f"cdrpeer: {msg.error()}", file=sys.stderr)
                continue
            if eos and not in_txn:
                producer.begin_transaction()
                in_txn = True
                batch_start = time.monotonic()
            elif not eos and pending == 0:
                batch_start = time.monotonic()
            value = msg.value()
            verdict, payload, key = transform(policy, value)
            if verdict == "publish":
                produce(args.anonymised, payload, key)
            elif verdict == "dead":
                produce(args.dead_letter,
                        dead_letter(payload, {"topic": msg.topic(),
                                              "partition": msg.partition(),
                                              "offset": msg.offset()}), None)
            produce(args.sealed,
                    sealer.seal(value, kafka_source(msg.topic(),
                                                    msg.partition(),
                                                    msg.offset())), key)
            pending += 1
        producer.poll(0)
        if pending and time.monotonic() - batch_start >= interval:
            commit()
    commit()
    consumer.close()
    producer.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["kafka", "file"])
    ap.add_argument("--bootstrap", default="127.0.0.1:19092")
    ap.add_argument("--input")
    ap.add_argument("--group", default="cdrpeer")
    ap.add_argument("--anonymised")
    ap.add_argument("--sealed")
    ap.add_argument("--dead-letter")
    ap.add_argument("--hmac-key", required=True)
    ap.add_argument("--custodian-public", required=True)
    ap.add_argument("--suppression")
    ap.add_argument("--delivery", default="exactly-once",
                    choices=["exactly-once", "at-least-once"])
    ap.add_argument("--commit-interval-ms", type=int, default=100)
    args = ap.parse_args()

    key_id, key = load_key_ring(args.hmac_key)
    policy = Policy(Pseudonymiser(key_id, key),
                    load_suppression(args.suppression))
    sealer = Sealer(args.custodian_public)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.mode == "file":
        run_file(args, policy, sealer)
    else:
        run_kafka(args, policy, sealer)


if __name__ == "__main__":
    main()
