package cdranon.peer;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * cdranon's policy for the generic CSV layout (config/generic.yaml): the
 * same output fields in the same order, the same number canonical forms
 * (PRODUCT.md) and the same pseudonyms (docs/pseudonyms.md).  One instance
 * per stream task: it holds a {@link Mac} and a cache, neither thread-safe.
 */
final class Policy {
    static final String[] COLUMNS = {
        "record_id", "record_type", "start_time", "end_time", "duration",
        "calling_number", "called_number", "imsi", "imei", "cell_id",
        "bytes_up", "bytes_down", "cause_for_term", "subscriber_name",
        "subscriber_address", "payment_ref",
    };
    private static final int RECORD_ID = 0, RECORD_TYPE = 1, START_TIME = 2,
            DURATION = 4, CALLING = 5, CALLED = 6, IMSI = 7, IMEI = 8,
            CELL_ID = 9, BYTES_UP = 10, BYTES_DOWN = 11, CAUSE = 12;

    static final String COUNTRY_CODE = "44";
    static final String NATIONAL_PREFIX = "0";
    static final String INTERNATIONAL_PREFIX = "00";
    static final int SHORT_CODE_MAX_DIGITS = 6;
    private static final String[] BOUNDS = {"1", "30", "60", "180", "600",
        "1800", "3600"};
    private static final BigDecimal[] BOUND_VALUES;
    static {
        BOUND_VALUES = new BigDecimal[BOUNDS.length];
        for (int i = 0; i < BOUNDS.length; i++)
            BOUND_VALUES[i] = new BigDecimal(BOUNDS[i]);
    }

    /** A record breaks a rule; the message names the rule, not the value. */
    static final class Malformed extends Exception {
        Malformed(String rule) {
            super(rule, null, false, false);
        }
    }

    /** What became of one record. */
    static final class Result {
        enum Verdict { PUBLISH, SUPPRESSED, DEAD }
        Verdict verdict;
        byte[] json;   /* PUBLISH */
        byte[] key;    /* PUBLISH: the caller's pseudonym, or null */
        String reason; /* DEAD */
    }

    private final String keyId;
    private final Mac mac;
    private final Set<String> suppressed;
    private final Map<String, String> cache;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private static final DateTimeFormatter ISO =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'");
    private static final Pattern NUMBER =
            Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    Policy(String keyId, byte[] key, Set<String> suppressed)
            throws GeneralSecurityException {
        this.keyId = keyId;
        this.mac = Mac.getInstance("HmacSHA256");
        this.mac.init(new SecretKeySpec(key, "HmacSHA256"));
        this.suppressed = suppressed;
        // Subscribers repeat: recent pseudonyms are kept, as cdranon does.
        this.cache = new LinkedHashMap<>(1 << 17, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> e) {
                return size() > 65536;
            }
        };
    }

    // --- numbers ----------------------------------------------------------

    static final int PERSONAL = 0, SERVICE = 1, WITHHELD = 2;

    /** A canonical form and its class. */
    record Canon(int cls, String value) {}

    private static final Canon WITHHELD_CANON = new Canon(WITHHELD, "withheld");

    // ITU-T E.164 assigned country codes, as in src/number.c.
    private static final Set<String> CC2 = Set.of(
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41",
        "43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54",
        "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
        "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98");
    private static final Map<String, String> CC3 = Map.ofEntries(
        Map.entry("21", "12368"), Map.entry("22", "0123456789"),
        Map.entry("23", "0123456789"), Map.entry("24", "0123456789"),
        Map.entry("25", "012345678"), Map.entry("26", "0123456789"),
        Map.entry("29", "01789"), Map.entry("35", "0123456789"),
        Map.entry("37", "0123456789"), Map.entry("38", "012356789"),
        Map.entry("42", "013"), Map.entry("50", "0123456789"),
        Map.entry("59", "0123456789"), Map.entry("67", "023456789"),
        Map.entry("68", "012356789"), Map.entry("69", "012"),
        Map.entry("80", "08"), Map.entry("85", "02356"),
        Map.entry("87", "08"), Map.entry("88", "012368"),
        Map.entry("96", "012345678"), Map.entry("97", "012345679"),
        Map.entry("99", "1234568"));

    static int countryCodeLength(String d) {
        if (d.isEmpty())
            return 0;
        char c = d.charAt(0);
        if (c == '1' || c == '7')
            return 1;
        if (d.length() < 2)
            return 0;
        String two = d.substring(0, 2);
        if (CC2.contains(two))
            return 2;
        if (d.length() < 3)
            return 0;
        String third = CC3.get(two);
        return third != null && third.indexOf(d.charAt(2)) >= 0 ? 3 : 0;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\u000b'
                || c == '\f';
    }

    private static String trim(String s) {
        int a = 0, b = s.length();
        while (a < b && isSpace(s.charAt(a)))
            a++;
        while (b > a && isSpace(s.charAt(b - 1)))
            b--;
        return s.substring(a, b);
    }

    private static boolean withheldWord(String s) {
        return s.equalsIgnoreCase("anonymous") || s.equalsIgnoreCase("withheld")
                || s.equalsIgnoreCase("private")
                || s.equalsIgnoreCase("unavailable");
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static String e164(String d) throws Malformed {
        if (d.charAt(0) == '0')
            throw new Malformed("country code starts with 0");
        if (d.length() > 15)
            throw new Malformed("more than 15 digits");
        if (d.length() < 7)
            throw new Malformed("fewer than 7 digits in E.164 number");
        if (countryCodeLength(d) == 0)
            throw new Malformed("unassigned country code");
        return "+" + d;
    }

    static Canon msisdn(String value) throws Malformed {
        String s = trim(value);
        if (s.isEmpty() || withheldWord(s))
            return WITHHELD_CANON;
        if (s.regionMatches(true, 0, "tel:", 0, 4)) {
            s = s.substring(4);
            int semi = s.indexOf(';');
            if (semi >= 0)
                s = s.substring(0, semi);
            if (s.isEmpty())
                throw new Malformed("empty tel URI");
        } else if (s.regionMatches(true, 0, "sip:", 0, 4)
                || s.regionMatches(true, 0, "sips:", 0, 5)) {
            s = s.substring(s.charAt(3) == ':' ? 4 : 5);
            int at = s.indexOf('@');
            if (at < 0)
                throw new Malformed("SIP URI without user part");
            s = s.substring(0, at);
            int semi = s.indexOf(';');
            if (semi >= 0)
                s = s.substring(0, semi);
            if (s.isEmpty())
                throw new Malformed("empty SIP user part");
        }
        if (!s.isEmpty() && isAsciiLetter(s.charAt(0)) && withheldWord(s))
            return WITHHELD_CANON;

        StringBuilder digits = new StringBuilder(16);
        boolean plus = false;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits.length() == 32)
                    throw new Malformed("more than 15 digits");
                digits.append(c);
                continue;
            }
            switch (c) {
            case ' ', '-', '.', ')':
                break;
            case '(':
                // "+44 (0)7700 ...": the national trunk prefix in brackets.
                if (i + 2 < n && s.charAt(i + 1) == '0'
                        && s.charAt(i + 2) == ')') {
                    String d = digits.toString();
                    String cc = null;
                    if (plus)
                        cc = d;
                    else if (d.startsWith(INTERNATIONAL_PREFIX)
                            && d.length() > INTERNATIONAL_PREFIX.length())
                        cc = d.substring(INTERNATIONAL_PREFIX.length());
                    if (cc != null && countryCodeLength(cc) == cc.length())
                        i += 2;
                }
                break;
            case '+':
                if (plus)
                    throw new Malformed("more than one '+'");
                if (digits.length() > 0)
                    throw new Malformed("'+' not at start of number");
                plus = true;
                break;
            default:
                throw new Malformed(isAsciiLetter(c) ? "letters in number"
                        : "invalid character in number");
            }
        }
        String d = digits.toString();
        if (plus) {
            if (d.isEmpty())
                throw new Malformed("no digits after '+'");
            return new Canon(PERSONAL, e164(d));
        }
        if (d.isEmpty())
            throw new Malformed("no digits in number");
        if (d.startsWith(INTERNATIONAL_PREFIX)) {
            if (d.length() == INTERNATIONAL_PREFIX.length())
                throw new Malformed("no digits after international prefix");
            return new Canon(PERSONAL,
                    e164(d.substring(INTERNATIONAL_PREFIX.length())));
        }
        if (d.length() <= SHORT_CODE_MAX_DIGITS)
            return new Canon(SERVICE, d);
        if (d.startsWith(NATIONAL_PREFIX)) {
            if (d.length() == NATIONAL_PREFIX.length())
                throw new Malformed("no digits after national prefix");
            return new Canon(PERSONAL,
                    e164(COUNTRY_CODE + d.substring(NATIONAL_PREFIX.length())));
        }
        if (d.length() > 15)
            throw new Malformed("more than 15 digits");
        if (d.length() > 10)
            return new Canon(PERSONAL, e164(d));
        if (d.length() >= 7)
            return new Canon(PERSONAL, e164(COUNTRY_CODE + d));
        throw new Malformed(
                "too many digits for a short code, too few for a national number");
    }

    static Canon imsi(String value) throws Malformed {
        String s = trim(value);
        if (s.isEmpty())
            return WITHHELD_CANON;
        for (int i = 0; i < s.length(); i++)
            if (s.charAt(i) < '0' || s.charAt(i) > '9')
                throw new Malformed("IMSI has a non-digit character");
        if (s.length() < 6)
            throw new Malformed("IMSI shorter than 6 digits");
        if (s.length() > 15)
            throw new Malformed("IMSI longer than 15 digits");
        return new Canon(PERSONAL, s);
    }

    static Canon imei(String value) throws Malformed {
        String s = trim(value);
        if (s.isEmpty())
            return WITHHELD_CANON;
        StringBuilder d = new StringBuilder(14);
        int count = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (count++ < 14)
                    d.append(c);
            } else if (c != '-' && c != ' ') {
                throw new Malformed(
                        "IMEI has a character other than a digit, '-' or space");
            }
        }
        if (count < 14)
            throw new Malformed("IMEI shorter than 14 digits");
        if (count > 16)
            throw new Malformed("IMEI longer than 16 digits");
        return new Canon(PERSONAL, d.toString());
    }

    // --- pseudonyms -------------------------------------------------------

    private static final char[] B32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private String pseudonym(String kind, Canon canon) {
        if (canon.cls() != PERSONAL)
            return canon.value();
        String cacheKey = kind + '\0' + canon.value();
        String p = cache.get(cacheKey);
        if (p != null)
            return p;
        mac.update(("cdranon.v1." + kind).getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) 0);
        byte[] h = mac.doFinal(canon.value().getBytes(StandardCharsets.UTF_8));
        StringBuilder sb = new StringBuilder(keyId.length() + 27);
        sb.append(keyId).append(':');
        // RFC 4648 base32 of the first 16 bytes, lower case, no padding.
        int buffer = 0, bits = 0;
        for (int i = 0; i < 16; i++) {
            buffer = (buffer << 8) | (h[i] & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(B32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
            sb.append(B32[(buffer << (5 - bits)) & 31]);
        p = sb.toString();
        cache.put(cacheKey, p);
        return p;
    }

    // --- timestamps -------------------------------------------------------

    private static final long EPOCH_MIN = -62167219200L, EPOCH_MAX = 253402300799L;

    private static int digits(String s, int at, int width) throws Malformed {
        if (at + width > s.length())
            throw new Malformed("not a timestamp");
        int v = 0;
        for (int i = at; i < at + width; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9')
                throw new Malformed("not a timestamp");
            v = v * 10 + (c - '0');
        }
        return v;
    }

    static long parseTime(String s) throws Malformed {
        long t;
        int n = s.length();
        if (n >= 5 && Character.isDigit(s.charAt(0)) && s.charAt(4) == '-') {
            int i = 0, hh = 0, mm = 0, ss = 0, oh = 0, om = 0, sign = 0;
            int y = digits(s, i, 4);
            i += 4;
            if (i >= n || s.charAt(i++) != '-')
                throw new Malformed("not a timestamp");
            int mo = digits(s, i, 2);
            i += 2;
            if (i >= n || s.charAt(i++) != '-')
                throw new Malformed("not a timestamp");
            int d = digits(s, i, 2);
            i += 2;
            if (i < n && (s.charAt(i) == 'T' || s.charAt(i) == 't'
                    || s.charAt(i) == ' ')) {
                i++;
                hh = digits(s, i, 2);
                i += 2;
                if (i >= n || s.charAt(i++) != ':')
                    throw new Malformed("not a timestamp");
                mm = digits(s, i, 2);
                i += 2;
                if (i < n && s.charAt(i) == ':') {
                    ss = digits(s, i + 1, 2);
                    i += 3;
                    if (i < n && (s.charAt(i) == '.' || s.charAt(i) == ',')) {
                        i++;
                        if (i >= n || !Character.isDigit(s.charAt(i)))
                            throw new Malformed("not a timestamp");
                        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9')
                            i++;
                    }
                }
                if (i < n && (s.charAt(i) == 'Z' || s.charAt(i) == 'z')) {
                    i++;
                } else if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    sign = s.charAt(i++) == '-' ? -1 : 1;
                    oh = digits(s, i, 2);
                    i += 2;
                    if (i < n && s.charAt(i) == ':')
                        i++;
                    if (i < n) {
                        om = digits(s, i, 2);
                        i += 2;
                    }
                }
            }
            if (i != n)
                throw new Malformed("not a timestamp");
            if (mo < 1 || mo > 12)
                throw new Malformed("month out of range");
            if (d < 1 || d > java.time.YearMonth.of(y, mo).lengthOfMonth())
                throw new Malformed("day out of range");
            if (hh > 23 || mm > 59 || ss > 60)
                throw new Malformed("time out of range");
            if (oh > 23 || om > 59)
                throw new Malformed("zone offset out of range");
            t = LocalDateTime.of(y, mo, d, hh, mm, Math.min(ss, 59))
                    .toEpochSecond(ZoneOffset.UTC)
                    - sign * (oh * 3600L + om * 60L);
        } else {
            int i = 0;
            boolean neg = false, frac = false;
            if (i < n && s.charAt(i) == '-') {
                neg = true;
                i++;
            }
            int start = i;
            long v = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                if (v <= EPOCH_MAX)
                    v = v * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start)
                throw new Malformed("not a timestamp");
            if (i < n && s.charAt(i) == '.') {
                i++;
                if (i >= n || !Character.isDigit(s.charAt(i)))
                    throw new Malformed("not a timestamp");
                while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9')
                    frac |= s.charAt(i++) != '0';
            }
            if (i != n)
                throw new Malformed("not a timestamp");
            t = neg ? -v - (frac ? 1 : 0) : v;
        }
        if (t < EPOCH_MIN || t > EPOCH_MAX)
            throw new Malformed("timestamp out of range");
        return t;
    }

    // --- CSV (RFC 4180) ----------------------------------------------------

    static List<String> parseCsv(String rec) throws Malformed {
        List<String> out = new ArrayList<>(COLUMNS.length);
        int n = rec.length(), i = 0;
        StringBuilder f = new StringBuilder();
        while (true) {
            f.setLength(0);
            if (i < n && rec.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= n)
                        throw new Malformed("csv: unterminated quoted field");
                    char c = rec.charAt(i++);
                    if (c == '"') {
                        if (i < n && rec.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(c);
                    }
                }
                if (i < n && rec.charAt(i) != ',')
                    throw new Malformed("csv: bytes after closing quote");
            } else {
                int comma = rec.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                for (int k = i; k < end; k++) {
                    char c = rec.charAt(k);
                    if (c == '"' || c == '\r' || c == '\n')
                        throw new Malformed("csv: quote or line end outside quotes");
                }
                f.append(rec, i, end);
                i = end;
            }
            out.add(f.toString());
            if (i >= n)
                return out;
            i++; // the comma
        }
    }

    // --- JSON ---------------------------------------------------------------

    private static void jsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
            case '"' -> sb.append("\\\"");
            case '\\' -> sb.append("\\\\");
            case '\b' -> sb.append("\\b");
            case '\f' -> sb.append("\\f");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            case '\u2028' -> sb.append("\\u2028");
            case '\u2029' -> sb.append("\\u2029");
            default -> {
                if (c < 0x20)
                    sb.append(String.format("\\u%04x", (int) c));
                else
                    sb.append(c);
            }
            }
        }
        sb.append('"');
    }

    private static void key(StringBuilder sb, String name) {
        if (sb.length() > 1)
            sb.append(',');
        sb.append('"').append(name).append("\":");
    }

    // --- one record ---------------------------------------------------------

    private String decode(byte[] value) throws Malformed {
        try {
            CharBuffer cb = utf8.decode(ByteBuffer.wrap(value));
            return cb.toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("record: invalid UTF-8");
        }
    }

    /** Applies the policy to one raw CSV record (no line end). */
    Result apply(byte[] value) {
        Result r = new Result();
        String field = "record", action = "parse";
        try {
            String rec = decode(value);
            if (rec.endsWith("\n"))
                rec = rec.substring(0, rec.length() - (rec.endsWith("\r\n") ? 2 : 1));
            List<String> row = parseCsv(rec);
            if (row.size() != COLUMNS.length)
                throw new Malformed("csv: " + row.size() + " columns, expected "
                        + COLUMNS.length);

            // Each number is read once, for suppression and its fields.
            Object calling, called;
            try {
                calling = msisdn(row.get(CALLING));
            } catch (Malformed e) {
                calling = e;
            }
            try {
                called = msisdn(row.get(CALLED));
            } catch (Malformed e) {
                called = e;
            }
            for (Object o : new Object[] {calling, called}) {
                if (o instanceof Canon c && c.cls() == PERSONAL
                        && suppressed.contains(c.value())) {
                    r.verdict = Result.Verdict.SUPPRESSED;
                    return r;
                }
            }

            StringBuilder sb = new StringBuilder(512);
            sb.append('{');
            field = "record_id";
            action = "keep";
            key(sb, "record_id");
            jsonString(sb, row.get(RECORD_ID));
            field = "record_type";
            key(sb, "record_type");
            jsonString(sb, row.get(RECORD_TYPE));

            field = "start_time";
            action = "truncate hour";
            key(sb, "start_hour");
            String v = trim(row.get(START_TIME));
            if (v.isEmpty()) {
                sb.append("null");
            } else {
                long t = Math.floorDiv(parseTime(v), 3600L) * 3600L;
                jsonString(sb, LocalDateTime.ofEpochSecond(t, 0, ZoneOffset.UTC)
                        .format(ISO));
            }

            field = "duration";
            action = "bucket 1,30,60,180,600,1800,3600";
            key(sb, "duration");
            v = trim(row.get(DURATION));
            if (v.isEmpty()) {
                sb.append("null");
            } else {
                if (!NUMBER.matcher(v).matches())
                    throw new Malformed("not a number");
                BigDecimal d = new BigDecimal(v);
                int i = 0;
                while (i < BOUNDS.length && d.compareTo(BOUND_VALUES[i]) >= 0)
                    i++;
                String label = i == 0 ? "<" + BOUNDS[0]
                        : i == BOUNDS.length ? BOUNDS[i - 1] + "+"
                        : BOUNDS[i - 1] + "-" + BOUNDS[i];
                jsonString(sb, label);
            }

            action = "pseudonymise msisdn";
            field = "calling_number";
            if (calling instanceof Malformed m)
                throw m;
            String caller = pseudonym("msisdn", (Canon) calling);
            key(sb, "caller");
            jsonString(sb, caller);
            field = "called_number";
            if (called instanceof Malformed m)
                throw m;
            Canon calledCanon = (Canon) called;
            key(sb, "callee");
            jsonString(sb, pseudonym("msisdn", calledCanon));
            key(sb, "called_country");
            int cc = calledCanon.cls() == PERSONAL
                    ? countryCodeLength(calledCanon.value().substring(1)) : 0;
            if (cc == 0)
                sb.append("null");
            else
                jsonString(sb, calledCanon.value().substring(1, 1 + cc));

            field = "imsi";
            action = "pseudonymise imsi";
            key(sb, "subscriber");
            jsonString(sb, pseudonym("imsi", imsi(row.get(IMSI))));
            field = "imei";
            action = "pseudonymise imei";
            Canon device = imei(row.get(IMEI));
            key(sb, "device");
            jsonString(sb, pseudonym("imei", device));
            key(sb, "device_model");
            if (device.cls() == PERSONAL)
                jsonString(sb, device.value().substring(0, 8));
            else
                sb.append("null");

            field = "cell_id";
            action = "keep";
            key(sb, "cell_id");
            jsonString(sb, row.get(CELL_ID));
            action = "keep number";
            String[] names = {"bytes_up", "bytes_down", "cause_for_term"};
            int[] cols = {BYTES_UP, BYTES_DOWN, CAUSE};
            for (int k = 0; k < 3; k++) {
                field = names[k];
                v = trim(row.get(cols[k]));
                key(sb, names[k]);
                if (v.isEmpty()) {
                    sb.append("null");
                } else {
                    if (!NUMBER.matcher(v).matches())
                        throw new Malformed("not a number");
                    sb.append(v);
                }
            }
            sb.append('}');
            r.verdict = Result.Verdict.PUBLISH;
            r.json = sb.toString().getBytes(StandardCharsets.UTF_8);
            r.key = caller.indexOf(':') >= 0
                    ? caller.getBytes(StandardCharsets.UTF_8) : null;
            return r;
        } catch (Malformed e) {
            r.verdict = Result.Verdict.DEAD;
            r.reason = field.equals("record") ? e.getMessage()
                    : "field '" + field + "': " + action + ": " + e.getMessage();
            return r;
        }
    }

    static String deadLetter(String reason, String sourceJson) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"reason\":");
        jsonString(sb, reason);
        sb.append(",\"source\":").append(sourceJson).append('}');
        return sb.toString();
    }

    static String jsonQuoted(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        jsonString(sb, s);
        return sb.toString();
    }
}
