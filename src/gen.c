/*
 * Synthetic CDR generator: see include/cdranon/gen.h.
 *
 * Speed matters here (benchmarks feed millions of records), so the hot
 * path writes straight into reserved buffer space with hand-written
 * integer and date formatting, draws every random choice from one
 * xoshiro256** stream, samples subscribers from an alias table and
 * derives everything about a subscriber (number, IMSI, IMEI, name,
 * address) from its index instead of storing it.
 */
#include "cdranon/gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Room reserved for one record: far above the longest record (about
 * 2 KiB for CUCM), which leaves the slack that the constant-size copies
 * (put_word, put_text64) write past their end. */
#define GEN_RECORD_MAX 8192

#define US_PER_S   1000000LL
#define US_PER_DAY (86400LL * US_PER_S)

/* 2026-11-27T00:00:00Z */
#define GEN_DEFAULT_START 1795737600LL
/* 9999-12-31T23:59:59Z: dates keep four-digit years. */
#define GEN_MAX_START 253402300799LL

/* Records per subscriber per simulated day, on average. */
#define GEN_RECORDS_PER_SUB_DAY 20

#define GEN_CELLS 20000u

enum { REC_VOICE = 0, REC_SMS, REC_DATA };

enum { TS_ISO_Z = 0, TS_ISO_MS, TS_ISO_OFFSET, TS_EPOCH };

enum {
        NUM_PERSONAL = 0,
        NUM_SERVICE,
        NUM_WITHHELD,
        NUM_NONE, /* no party (data records) */
};

/* How a switch spells a number. */
enum {
        SP_E164 = 0, /* +447700900123 */
        SP_BARE,     /* 447700900123 */
        SP_INTL,     /* 00447700900123 */
        SP_NATIONAL, /* 07700900123 */
        SP_SPACED,   /* 07700 900123 */
        SP_PAREN,    /* (07700) 900-123 */
        SP_TEL,      /* tel:+44-7700-900123 */
        SP_SIP,      /* sip:+447700900123@ims.example.net;user=phone */
};

typedef struct {
        uint8_t cls;
        uint8_t spelling;
        uint8_t nsn_len;
        uint8_t groups[3]; /* lengths of the digit groups of the nsn */
        uint8_t cc_len;
        const char *cc;   /* country calling code (a literal, >= 2 bytes) */
        const char *text; /* service or withheld spelling */
        char nsn[16];     /* national significant number */
} num_t;

typedef struct {
        uint64_t id;
        int type;
        int mo;
        uint32_t sub;
        uint64_t h; /* attribute hash of the served subscriber */
        int64_t start_us;
        int64_t end_us;
        uint32_t ring;     /* seconds before answer */
        uint32_t duration; /* talk or session seconds */
        int answered;
        int cause;
        uint64_t bytes_up;
        uint64_t bytes_down;
        uint32_t cell;
        int tstyle;
        num_t calling;
        num_t called;
        int served_is_calling;
        cdr_gen_defect_t defect;
        uint32_t var; /* which variant of the defect */
} rec_t;

/* Alias method: slot i is kept when u < thresh, else alias is taken;
 * both in one struct so that a draw touches one cache line. */
typedef struct {
        uint32_t thresh;
        uint32_t alias;
} alias_slot_t;

struct cdr_gen_s {
        cdr_gen_options_t opts;
        uint64_t s[4]; /* xoshiro256** state */
        uint64_t salt; /* subscriber attributes */
        uint32_t nsub;
        alias_slot_t *slots;
        uint64_t next_draw; /* the next served subscriber's draw */
        uint64_t records;
        uint64_t malformed;
        uint64_t malformed_cut; /* a draw below it makes a record bad */
        int all_malformed;
        const uint8_t *kinds; /* defects the layout can carry */
        uint32_t nkinds;
        int64_t t_us;        /* simulated clock */
        uint64_t gap_us[24]; /* twice the mean gap, by hour of day */
        int64_t day;         /* the day `date` spells */
        char date[10];
        const char *eol;
        size_t eol_len;
        uint32_t expo[1024];  /* exponential quantiles, mean 1000 */
        uint8_t tac_luhn[16]; /* Luhn sums of the TAC digits */
};

/* --- Random numbers ------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t z)
{
        return splitmix64(&z);
}

static inline uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(cdr_gen_t *gen)
{
        uint64_t *s = gen->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

/* Uniform in [0, n) by multiply-shift (Lemire); the bias is below
 * 2^-32 per draw, far under anything a CDR sample can show. */
static inline uint32_t below(uint64_t r, uint32_t n)
{
        return (uint32_t)(((r >> 32) * n) >> 32);
}

static inline uint32_t alias_pick(const cdr_gen_t *gen, uint64_t r)
{
        uint32_t i = below(r, gen->nsub);
        const alias_slot_t *slot = &gen->slots[i];

        return (uint32_t)r < slot->thresh ? i : slot->alias;
}

static inline uint32_t pick_subscriber(cdr_gen_t *gen)
{
        return alias_pick(gen, rng_next(gen));
}

/* The served subscriber of the next record: its draw was made one record
 * ahead and its slot prefetched, as a large population's table does not
 * stay in cache. */
static inline uint32_t pick_served(cdr_gen_t *gen)
{
        uint32_t sub = alias_pick(gen, gen->next_draw);

        gen->next_draw = rng_next(gen);
        __builtin_prefetch(&gen->slots[below(gen->next_draw, gen->nsub)]);
        return sub;
}

/* --- Formatting ----------------------------------------------------- */

static const char digits2[201] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

static const char hexdigits[] = "0123456789abcdef";

static inline char *put_mem(char *p, const char *s, size_t n)
{
        memcpy(p, s, n);
        return p + n;
}

#define PUT_LIT(p, s) put_mem((p), (s), sizeof(s) - 1)

/* Copies n bytes from a source that has at least 64 readable bytes, as
 * one constant-size move when n fits (the output has room to spare). */
static inline char *put_text64(char *p, const char *s, size_t n)
{
        if (n <= 64)
                memcpy(p, s, 64);
        else
                memcpy(p, s, n);
        return p + n;
}

static inline char *put_str(char *p, const char *s)
{
        return put_mem(p, s, strlen(s));
}

static inline int count_digits(uint64_t v)
{
        int n = 1;

        while (v >= 100000000) {
                v /= 100000000;
                n += 8;
        }
        if (v >= 10000) {
                v /= 10000;
                n += 4;
        }
        return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

static char *put_u32(char *p, uint32_t v)
{
        int n;
        char *q;

        if (v < 10) {
                *p = (char)('0' + v);
                return p + 1;
        }
        if (v < 100)
                return put_mem(p, digits2 + 2 * v, 2);
        n = count_digits(v);
        q = p + n;

        while (v >= 100) {
                q -= 2;
                memcpy(q, digits2 + 2 * (v % 100), 2);
                v /= 100;
        }
        if (v >= 10)
                memcpy(q - 2, digits2 + 2 * v, 2);
        else
                q[-1] = (char)('0' + v);
        return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
        int n;

        if (v <= UINT32_MAX)
                return put_u32(p, (uint32_t)v);
        n = count_digits(v);
        char *q = p + n;

        while (v >= 100) {
                q -= 2;
                memcpy(q, digits2 + 2 * (v % 100), 2);
                v /= 100;
        }
        if (v >= 10)
                memcpy(q - 2, digits2 + 2 * v, 2);
        else
                q[-1] = (char)('0' + v);
        return p + n;
}

static char *put_i64(char *p, int64_t v)
{
        if (v < 0) {
                *p++ = '-';
                return put_u64(p, (uint64_t)0 - (uint64_t)v);
        }
        return put_u64(p, (uint64_t)v);
}

/* v in exactly `width` digits, zero-padded (v < 10^width). */
static char *put_fixed32(char *p, uint32_t v, int width)
{
        int i = width;

        while (i >= 2) {
                i -= 2;
                memcpy(p + i, digits2 + 2 * (v % 100), 2);
                v /= 100;
        }
        if (i)
                p[0] = (char)('0' + v % 10);
        return p + width;
}

static char *put_fixed(char *p, uint64_t v, int width)
{
        if (width > 8) {
                /* the low eight digits in 32-bit arithmetic */
                put_fixed32(p, (uint32_t)(v / 100000000), width - 8);
                return put_fixed32(p + width - 8, (uint32_t)(v % 100000000), 8);
        }
        return put_fixed32(p, (uint32_t)v, width);
}

static inline char *put_2d(char *p, unsigned v)
{
        return put_mem(p, digits2 + 2 * v, 2);
}

/* Always quoted, as Asterisk and CUCM write text columns. */
static char *put_quoted(char *p, const char *s, size_t n)
{
        size_t i;

        *p++ = '"';
        for (i = 0; i < n; i++) {
                if (s[i] == '"')
                        *p++ = '"';
                *p++ = s[i];
        }
        *p++ = '"';
        return p;
}

/* --- Dates ---------------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        int64_t era, y0;
        unsigned doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y0 = (int64_t)yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = y0 + (*m <= 2);
}

static void set_day(cdr_gen_t *gen, int64_t day)
{
        int64_t y;
        unsigned m, d;
        char *p = gen->date;

        civil_from_days(day, &y, &m, &d);
        p = put_fixed(p, (uint64_t)y, 4);
        *p++ = '-';
        p = put_2d(p, m);
        *p++ = '-';
        put_2d(p, d);
        gen->day = day;
}

/* "2026-11-27" + sep + "21:13:45" */
static char *put_datetime(cdr_gen_t *gen, char *p, int64_t us, char sep)
{
        int64_t s = us / US_PER_S;
        int64_t day = s / 86400;
        unsigned tod = (unsigned)(s % 86400);

        if (day != gen->day)
                set_day(gen, day);
        p = put_mem(p, gen->date, 10);
        *p++ = sep;
        p = put_2d(p, tod / 3600);
        *p++ = ':';
        p = put_2d(p, tod / 60 % 60);
        *p++ = ':';
        return put_2d(p, tod % 60);
}

static char *put_timestamp(cdr_gen_t *gen, char *p, int64_t us, int style)
{
        switch (style) {
        case TS_EPOCH:
                return put_i64(p, us / US_PER_S);
        case TS_ISO_MS:
                p = put_datetime(gen, p, us, 'T');
                *p++ = '.';
                p = put_fixed(p, (uint64_t)(us / 1000 % 1000), 3);
                *p++ = 'Z';
                return p;
        case TS_ISO_OFFSET:
                p = put_datetime(gen, p, us, 'T');
                return PUT_LIT(p, "+00:00");
        default:
                p = put_datetime(gen, p, us, 'T');
                *p++ = 'Z';
                return p;
        }
}

/* --- The number plan ------------------------------------------------ */

/* Ofcom's numbers for drama purposes: each block is a 7-digit national
 * prefix followed by 000-999. */
typedef struct {
        const char *prefix;
        uint8_t groups[3];
} block_t;

static const block_t uk_geographic[] = {
    {"1214960", {3, 3, 4}}, /* Birmingham 0121 496 0xxx */
    {"1174960", {3, 3, 4}}, /* Bristol */
    {"2920180", {2, 4, 4}}, /* Cardiff 029 2018 0xxx */
    {"1314960", {3, 3, 4}}, /* Edinburgh */
    {"1414960", {3, 3, 4}}, /* Glasgow */
    {"1134960", {3, 3, 4}}, /* Leeds */
    {"1164960", {3, 3, 4}}, /* Leicester */
    {"1514960", {3, 3, 4}}, /* Liverpool */
    {"2079460", {2, 4, 4}}, /* London 020 7946 0xxx */
    {"1614960", {3, 3, 4}}, /* Manchester */
    {"1914980", {3, 3, 4}}, /* Tyneside 0191 498 0xxx */
    {"2896496", {2, 4, 4}}, /* Northern Ireland 028 9649 6xxx */
    {"1154960", {3, 3, 4}}, /* Nottingham */
    {"1184960", {3, 3, 4}}, /* Reading */
    {"1144960", {3, 3, 4}}, /* Sheffield */
    {"1632960", {4, 6, 0}}, /* no area: 01632 960xxx */
};

static const block_t uk_nongeographic[] = {
    {"8081570", {4, 6, 0}}, /* freephone 08081 570xxx */
    {"9098790", {3, 3, 4}}, /* premium rate 0909 879 0xxx */
    {"3069990", {4, 6, 0}}, /* UK-wide 03069 990xxx */
};

/* NANP: 555-0100 to 555-0199 is reserved for fiction in every area. */
static const char *const nanp_areas[] = {"212", "415", "617", "312",
                                         "206", "416", "604", "305",
                                         "702", "202", "303", "512"};

/* Australia (ACMA): 0x 5550 xxxx are reserved for fiction. */
static const char *const au_areas[] = {"2", "3", "7", "8"};

static const char *const service_numbers[] = {
    "999", "112", "150", "101", "111", "100", "123", "118118",
};

/* SMS short codes (5-6 digits: service numbers, not personal). */
static const char *const short_codes[] = {"61000", "80010", "84433",
                                          "60300", "88440", "150"};

static const char *const withheld_spellings[] = {
    "",         "anonymous", "Anonymous", "withheld",
    "WITHHELD", "private",   "Private",   "unavailable",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The national significant number of subscriber i: Ofcom's drama mobile
 * block for the first thousand, then the UK 04 range, which the
 * numbering plan keeps reserved and unallocated (a bijection of the
 * index, so numbers never collide). */
static uint64_t subscriber_nsn(uint32_t i)
{
        if (i < 1000)
                return 7700900000ULL + i;
        return 4000000000ULL +
               ((uint64_t)(i - 1000) * 7919ULL + 1234567ULL) % 1000000000ULL;
}

static void num_subscriber(num_t *num, uint32_t sub, int spelling)
{
        num->cls = NUM_PERSONAL;
        num->spelling = (uint8_t)spelling;
        num->cc = "44";
        num->cc_len = 2;
        num->text = NULL;
        num->nsn_len = 10;
        num->groups[0] = 4;
        num->groups[1] = 6;
        num->groups[2] = 0;
        put_fixed(num->nsn, subscriber_nsn(sub), 10);
}

static void num_block(num_t *num, const block_t *block, uint32_t n,
                      int spelling)
{
        num->cls = NUM_PERSONAL;
        num->spelling = (uint8_t)spelling;
        num->cc = "44";
        num->cc_len = 2;
        num->text = NULL;
        num->nsn_len = 10;
        memcpy(num->groups, block->groups, 3);
        memcpy(num->nsn, block->prefix, 7);
        put_fixed(num->nsn + 7, n % 1000, 3);
}

static void num_foreign(num_t *num, uint64_t r, int spelling)
{
        num->cls = NUM_PERSONAL;
        num->spelling = (uint8_t)spelling;
        num->text = NULL;
        if (r & 1) {
                const char *area = nanp_areas[below(r, NELEM(nanp_areas))];
                num->cc = "1";
                num->cc_len = 1;
                num->nsn_len = 10;
                memcpy(num->nsn, area, 3);
                memcpy(num->nsn + 3, "55501", 5);
                put_fixed(num->nsn + 8, (r >> 8) % 100, 2);
                num->groups[0] = 3;
                num->groups[1] = 3;
                num->groups[2] = 4;
        } else {
                num->cc = "61";
                num->cc_len = 2;
                num->nsn_len = 9;
                num->nsn[0] = au_areas[(r >> 1) & 3][0];
                memcpy(num->nsn + 1, "5550", 4);
                put_fixed(num->nsn + 5, (r >> 8) % 10000, 4);
                num->groups[0] = 1;
                num->groups[1] = 4;
                num->groups[2] = 4;
        }
}

static void num_text(num_t *num, int cls, const char *text)
{
        num->cls = (uint8_t)cls;
        num->text = text;
        num->nsn_len = 0;
}

/* A spelling for a number, weighted as a mixed network emits them.
 * `plain` limits it to what PBX trunks write (no URIs, no spaces). */
static int pick_spelling(uint64_t r, int home, int plain)
{
        unsigned v = (unsigned)(r & 255);

        if (plain) {
                if (!home)
                        return v < 150 ? SP_E164 : SP_INTL;
                return v < 90 ? SP_E164 : v < 200 ? SP_NATIONAL : SP_INTL;
        }
        if (!home) {
                if (v < 115)
                        return SP_E164;
                if (v < 205)
                        return SP_INTL;
                if (v < 230)
                        return SP_BARE;
                return v < 243 ? SP_TEL : SP_SIP;
        }
        if (v < 77)
                return SP_E164;
        if (v < 102)
                return SP_BARE;
        if (v < 128)
                return SP_INTL;
        if (v < 179)
                return SP_NATIONAL;
        if (v < 217)
                return SP_SPACED;
        if (v < 225)
                return SP_PAREN;
        return v < 240 ? SP_TEL : SP_SIP;
}

static inline char *put_cc(char *p, const num_t *num)
{
        memcpy(p, num->cc, 2);
        return p + num->cc_len;
}

/* Letters that stand in for digits in badly keyed or OCR'd numbers. */
static const char lookalike[] = "OlZEASGTBg";

/* Writes the number as spelled into out (room for 128 bytes) with the
 * defect applied (number defects only; others are the writers'), and
 * returns its length. */
static size_t num_format(const num_t *num, char *out, cdr_gen_defect_t defect,
                         uint32_t var)
{
        char nsn[32];
        uint8_t groups[3];
        size_t nsn_len, prefix_digits, pos, i, g;
        size_t nsn_at = 0, split_at = 0;
        char *p = out;
        size_t cc_len;

        if (num->cls != NUM_PERSONAL) {
                if (num->text == NULL)
                        return 0;
                return (size_t)(put_str(out, num->text) - out);
        }
        cc_len = num->cc_len;
        nsn_len = num->nsn_len;
        memcpy(nsn, num->nsn, sizeof(num->nsn));
        memcpy(groups, num->groups, 3);

        /* Digits before the nsn that count in the canonical form: the
         * country code, or for national spellings the trunk '0' (which
         * becomes "44"), whichever is fewer, so that the canonical form
         * and the digits as written both exceed 15. */
        switch (num->spelling) {
        case SP_NATIONAL:
        case SP_SPACED:
        case SP_PAREN:
                prefix_digits = 1;
                break;
        default:
                prefix_digits = cc_len;
        }
        if (defect == CDR_GEN_BAD_LETTERS) {
                pos = var % nsn_len;
                nsn[pos] = lookalike[nsn[pos] - '0'];
        } else if (defect == CDR_GEN_BAD_DIGITS) {
                /* 17 to 19 digits: over E.164's 15 however the
                 * prefix is read. */
                size_t want = 17 + var % 3 - prefix_digits;
                for (i = nsn_len; i < want; i++)
                        nsn[i] = (char)('0' + (var >> (i & 15)) % 10);
                g = groups[2] ? 2 : 1;
                groups[g] = (uint8_t)(groups[g] + (want - nsn_len));
                nsn_len = want;
        }

        switch (num->spelling) {
        case SP_E164:
                *p++ = '+';
                p = put_cc(p, num);
                break;
        case SP_BARE:
                p = put_cc(p, num);
                break;
        case SP_INTL:
                p = PUT_LIT(p, "00");
                p = put_cc(p, num);
                break;
        case SP_NATIONAL:
        case SP_SPACED:
                *p++ = '0';
                break;
        case SP_PAREN:
                p = PUT_LIT(p, "(0");
                break;
        case SP_TEL:
                p = PUT_LIT(p, "tel:+");
                p = put_cc(p, num);
                break;
        case SP_SIP:
                p = PUT_LIT(p, "sip:+");
                p = put_cc(p, num);
                break;
        }
        nsn_at = (size_t)(p - out);
        if (num->spelling == SP_SPACED || num->spelling == SP_TEL ||
            num->spelling == SP_PAREN) {
                const char *sep = num->spelling == SP_TEL ? "-" : " ";
                size_t off = 0;
                if (num->spelling == SP_TEL)
                        *p++ = '-';
                for (g = 0; g < 3 && groups[g]; g++) {
                        if (g > 0) {
                                if (g == 1)
                                        split_at = (size_t)(p - out);
                                if (num->spelling == SP_PAREN && g == 1)
                                        p = PUT_LIT(p, ") ");
                                else
                                        p = put_str(p, sep);
                        }
                        if (num->spelling == SP_PAREN && g == 1 &&
                            groups[2] == 0 && groups[1] > 4) {
                                p = put_mem(p, nsn + off, 3);
                                *p++ = '-';
                                p = put_mem(p, nsn + off + 3, groups[g] - 3u);
                        } else {
                                p = put_mem(p, nsn + off, groups[g]);
                        }
                        off += groups[g];
                }
        } else {
                /* a constant-size move: out has room past the end */
                memcpy(p, nsn, sizeof(nsn));
                p += nsn_len;
                split_at = nsn_at + groups[0];
        }
        if (num->spelling == SP_SIP)
                p = PUT_LIT(p, "@ims.example.net;user=phone");

        if (defect == CDR_GEN_BAD_UTF8) {
                /* A Latin-1 no-break space or a Windows-1252 en dash
                 * as a digit separator: single bytes >= 0x80 that are
                 * not UTF-8. */
                unsigned char bad = (var & 1) ? 0xa0 : 0x96;
                if (out[split_at] == ' ' || out[split_at] == '-') {
                        out[split_at] = (char)bad;
                } else {
                        memmove(out + split_at + 1, out + split_at,
                                (size_t)(p - out) - split_at);
                        out[split_at] = (char)bad;
                        p++;
                }
        }
        return (size_t)(p - out);
}

/* --- Subscribers' other attributes ---------------------------------- */

/* Words live in fixed-size slots so that copying one is a constant-size
 * move (the output always has room to spare past the record). */
#define WORD_MAX 32

typedef struct {
        char s[WORD_MAX];
        uint8_t n;
} word_t;

#define W(lit)                                                                 \
        {                                                                      \
                lit, sizeof(lit) - 1                                           \
        }

static inline char *put_word(char *p, const word_t *w)
{
        memcpy(p, w->s, WORD_MAX);
        return p + w->n;
}

static const word_t first_names[] = {
    W("Oliver"),   W("Amelia"), W("Harry"),     W("Isla"),    W("George"),
    W("Ava"),      W("Noah"),   W("Mia"),       W("Jack"),    W("Ivy"),
    W("Leo"),      W("Freya"),  W("Arthur"),    W("Lily"),    W("Muhammad"),
    W("Florence"), W("Oscar"),  W("Sophia"),    W("Charlie"), W("Grace"),
    W("Siân"),     W("Zoë"),    W("Rhys"),      W("Niamh"),   W("Seán"),
    W("Aoife"),    W("Łukasz"), W("Agnieszka"), W("Priya"),   W("Arjun"),
    W("Chloé"),    W("José"),   W("Björn"),     W("Thi Lan"), W("Chidi"),
    W("Kwame"),    W("Fatima"), W("Yusuf"),     W("Eilidh"),  W("Callum"),
};

static const word_t nicknames[] = {W("Bob"), W("Liz"), W("Jim"), W("Kate"),
                                   W("Mo"),  W("Sam"), W("Tom"), W("Jo")};

static const word_t surnames[] = {
    W("Smith"),     W("Jones"),    W("Williams"),   W("Taylor"),
    W("Brown"),     W("Davies"),   W("Evans"),      W("Wilson"),
    W("Thomas"),    W("Johnson"),  W("Roberts"),    W("Robinson"),
    W("Thompson"),  W("Wright"),   W("Walker"),     W("White"),
    W("Edwards"),   W("Hughes"),   W("Green"),      W("Hall"),
    W("Lewis"),     W("Harris"),   W("Clarke"),     W("Patel"),
    W("Jackson"),   W("Wood"),     W("Turner"),     W("Martin"),
    W("Cooper"),    W("Hill"),     W("Ward"),       W("Morris"),
    W("Moore"),     W("Clark"),    W("Lee"),        W("King"),
    W("Baker"),     W("Harrison"), W("Morgan"),     W("Allen"),
    W("Khan"),      W("Singh"),    W("Begum"),      W("Hussain"),
    W("Ali"),       W("O'Brien"),  W("Nowak"),      W("Kowalski"),
    W("Nguyen"),    W("Okafor"),   W("Mensah"),     W("Ó Súilleabháin"),
    W("MacDonald"), W("Llywelyn"), W("Fitzgerald"), W("Campbell"),
};

static const word_t streets[] = {
    W("Acacia"), W("Station"), W("Church"),  W("Victoria"), W("Park"),
    W("Mill"),   W("Queen's"), W("King's"),  W("Manor"),    W("Oak"),
    W("Elm"),    W("Chapel"),  W("Green"),   W("Windsor"),  W("Albert"),
    W("Meadow"), W("Orchard"), W("Rectory"), W("Castle"),   W("Bridge"),
};

static const word_t street_types[] = {
    W("Road"),  W("Street"), W("Lane"),    W("Avenue"),  W("Close"),
    W("Drive"), W("Way"),    W("Gardens"), W("Terrace"), W("Crescent"),
};

static const word_t towns[] = {
    W("Leeds"),         W("London"),     W("Bristol"),
    W("Manchester"),    W("Glasgow"),    W("Cardiff"),
    W("Belfast"),       W("Sheffield"),  W("Nottingham"),
    W("Leicester"),     W("Reading"),    W("Edinburgh"),
    W("Liverpool"),     W("Birmingham"), W("Newcastle upon Tyne"),
    W("Ystradgynlais"),
};

static const char postcode_letters[] = "ABDEFGHJLNPQRSTUWXYZ";

/* Type allocation codes of the device models in the population, most
 * common first. */
static const char tacs[][8] = {
    "35332510", "35391110", "35467812", "35209900", "35875011", "35290611",
    "35160109", "35451911", "86769104", "35698214", "35444806", "86200303",
    "35311711", "35922507", "35107520", "01234500",
};

#define NTACS NELEM(tacs)

_Static_assert(NTACS <= 16, "tac_luhn holds 16 sums");

static const char *const disp_text[] = {"ANSWERED", "NO ANSWER", "BUSY",
                                        "FAILED", "CONGESTION"};

static inline uint64_t sub_hash(const cdr_gen_t *gen, uint32_t sub)
{
        return mix64(gen->salt ^ ((uint64_t)sub * 0x9e3779b97f4a7c15ULL));
}

/* How a text value is written. */
enum {
        ESC_RAW = 0, /* as is */
        ESC_CSV,     /* RFC 4180: quoted when needed, quotes doubled */
        ESC_JSON,    /* a JSON string */
};

/* "Name Surname", with now and then "Surname, Name", a middle initial or
 * a quoted nickname, as billing systems hold them.  The words hold no
 * character that needs escaping; only the separators do. */
static char *put_name(char *p, uint64_t h, int esc)
{
        const word_t *first = &first_names[below(h, NELEM(first_names))];
        const word_t *last = &surnames[(h >> 8) % NELEM(surnames)];
        unsigned variant = (unsigned)(h >> 16) & 15;
        int wrap = esc == ESC_JSON ||
                   (esc == ESC_CSV &&
                    (variant == 11 || variant == 12 || variant == 15));

        if (wrap)
                *p++ = '"';
        if (variant == 11 || variant == 12) {
                p = put_word(p, last);
                p = PUT_LIT(p, ", ");
                p = put_word(p, first);
        } else if (variant == 13 || variant == 14) {
                p = put_word(p, first);
                *p++ = ' ';
                *p++ = (char)('A' + (h >> 20) % 26);
                p = PUT_LIT(p, ". ");
                p = put_word(p, last);
        } else if (variant == 15) {
                p = put_word(p, first);
                *p++ = ' ';
                if (esc == ESC_CSV)
                        *p++ = '"';
                else if (esc == ESC_JSON)
                        *p++ = '\\';
                *p++ = '"';
                p = put_word(p, &nicknames[(h >> 20) & 7]);
                if (esc == ESC_CSV)
                        *p++ = '"';
                else if (esc == ESC_JSON)
                        *p++ = '\\';
                p = PUT_LIT(p, "\" ");
                p = put_word(p, last);
        } else {
                p = put_word(p, first);
                *p++ = ' ';
                p = put_word(p, last);
        }
        if (wrap)
                *p++ = '"';
        return p;
}

/* A postal address with a postcode in the "ZZ" area, which no real
 * address has.  Now and then a flat number, or a line break before the
 * town; `one_line` forbids the line break.  An address always holds a
 * comma or a line break, never a quote: CSV always quotes it. */
static char *put_address(char *p, uint64_t h, int esc, int one_line)
{
        uint64_t k = mix64(h);
        unsigned variant = (unsigned)(k & 15);

        if (esc != ESC_RAW)
                *p++ = '"';
        if (variant == 12 || variant == 13) {
                p = PUT_LIT(p, "Flat ");
                p = put_u64(p, 1 + (k >> 4) % 24);
                p = PUT_LIT(p, ", ");
        }
        p = put_u64(p, 1 + (k >> 9) % 240);
        *p++ = ' ';
        p = put_word(p, &streets[(k >> 17) % NELEM(streets)]);
        *p++ = ' ';
        p = put_word(p, &street_types[(k >> 22) % NELEM(street_types)]);
        if (variant == 14 && !one_line) {
                if (esc == ESC_JSON)
                        p = PUT_LIT(p, "\\n");
                else
                        *p++ = '\n';
        } else {
                p = PUT_LIT(p, ", ");
        }
        p = put_word(p, &towns[(k >> 27) % NELEM(towns)]);
        p = PUT_LIT(p, " ZZ");
        p = put_u64(p, 1 + (k >> 31) % 99);
        *p++ = ' ';
        *p++ = (char)('0' + (k >> 38) % 10);
        *p++ = postcode_letters[(k >> 42) % 20];
        *p++ = postcode_letters[(k >> 47) % 20];
        if (esc != ESC_RAW)
                *p++ = '"';
        return p;
}

/* A direct debit mandate, a masked card or nothing (pay as you go);
 * nothing in it needs CSV quoting. */
static char *put_payment(char *p, uint64_t h, int esc)
{
        uint64_t k = mix64(h ^ 0x5bd1e995ULL);
        unsigned v = (unsigned)(k % 20);

        if (esc == ESC_JSON)
                *p++ = '"';
        if (v < 10) {
                p = PUT_LIT(p, "DD-");
                p = put_fixed(p, (k >> 8) % 100000000, 8);
        } else if (v < 17) {
                p = PUT_LIT(p, "card ****");
                p = put_fixed(p, (k >> 8) % 10000, 4);
        }
        if (esc == ESC_JSON)
                *p++ = '"';
        return p;
}

static char *put_imsi(char *p, uint32_t sub)
{
        /* MCC 234, MNC 15, then a 10-digit MSIN that is a bijection of
         * the subscriber index. */
        uint64_t msin =
            ((uint64_t)sub * 3367900313ULL + 4021563787ULL) % 10000000000ULL;

        p = PUT_LIT(p, "23415");
        return put_fixed(p, msin, 10);
}

/* Luhn sum of the digits d of a 14-digit body at position i. */
static inline unsigned luhn_digit(unsigned d, int i)
{
        if (i & 1) {
                d *= 2;
                if (d > 9)
                        d -= 9;
        }
        return d;
}

/* IMEI (14 digits and the Luhn check digit of 3GPP TS 23.003) or, for
 * one device in eight, IMEISV (14 digits and a 2-digit software
 * version). */
static char *put_imei(const cdr_gen_t *gen, char *p, uint64_t h)
{
        uint64_t k = mix64(h ^ 0x2545f4914f6cdd1dULL);
        /* Skewed model popularity: the square of a uniform draw. */
        uint32_t u = below(k, 1u << 16);
        uint32_t t = (u * u >> 16) * (uint32_t)NTACS >> 16;
        uint32_t serial = (uint32_t)((k >> 20) % 1000000);
        unsigned sum = gen->tac_luhn[t];
        int i;

        memcpy(p, tacs[t], 8);
        put_fixed32(p + 8, serial, 6);
        if (((k >> 44) & 7) == 0)
                return put_fixed32(p + 14, (uint32_t)((k >> 48) % 100), 2);
        for (i = 8; i < 14; i++)
                sum += luhn_digit((unsigned)(p[i] - '0'), i);
        p += 14;
        *p++ = (char)('0' + (10 - sum % 10) % 10);
        return p;
}

/* "234-15-LAC-CI": a 4-digit location area and a 5-digit cell. */
static char *put_cell(char *p, uint32_t cell)
{
        p = PUT_LIT(p, "234-15-");
        p = put_fixed32(p, 4000 + cell / 40, 4);
        *p++ = '-';
        return put_fixed32(p, 20000 + (cell % 40) * 7, 5);
}

/* --- Records -------------------------------------------------------- */

static const uint8_t csv_kinds[] = {CDR_GEN_BAD_LETTERS, CDR_GEN_BAD_DIGITS,
                                    CDR_GEN_BAD_QUOTE, CDR_GEN_BAD_COLUMNS,
                                    CDR_GEN_BAD_UTF8};
static const uint8_t json_kinds[] = {CDR_GEN_BAD_LETTERS, CDR_GEN_BAD_DIGITS,
                                     CDR_GEN_BAD_UTF8, CDR_GEN_BAD_JSON};

/* Diurnal activity by hour (UTC), relative. */
static const uint8_t hour_weight[24] = {3,  2,  1,  1,  1,  2,  4,  7,
                                        9,  10, 10, 10, 10, 10, 10, 10,
                                        10, 11, 12, 12, 11, 9,  7,  5};

static int voice_cause(uint64_t r, int *answered)
{
        unsigned v = (unsigned)(r % 100);

        *answered = v < 78;
        if (v < 74)
                return 16; /* normal call clearing */
        if (v < 78)
                return 31; /* normal, unspecified */
        if (v < 85)
                return 17; /* user busy */
        if (v < 93)
                return 19; /* no answer */
        if (v < 95)
                return 18; /* no user responding */
        if (v < 96)
                return 21; /* call rejected */
        if (v < 97)
                return 1; /* unallocated number */
        if (v < 99)
                return 34; /* no circuit available */
        return 41;         /* temporary failure */
}

/* 3GPP TS 32.298 causeForRecClosing of a data session. */
static int data_cause(uint64_t r)
{
        unsigned v = (unsigned)(r % 100);

        if (v < 70)
                return 0; /* normalRelease */
        if (v < 75)
                return 4; /* abnormalRelease */
        if (v < 85)
                return 16; /* volumeLimit */
        if (v < 95)
                return 17; /* timeLimit */
        return 18;         /* servingNodeChange */
}

/* Another subscriber than `served`, when there is another. */
static uint32_t pick_peer(cdr_gen_t *gen, uint32_t served)
{
        uint32_t sub = pick_subscriber(gen);

        if (sub == served && gen->nsub > 1)
                sub = (sub + 1) % gen->nsub;
        return sub;
}

/* The other party of a voice call or SMS of subscriber `served`. */
static void pick_party(cdr_gen_t *gen, num_t *num, int type, int outgoing,
                       int plain, uint32_t served)
{
        uint64_t r = rng_next(gen);
        unsigned v = (unsigned)(r & 255);
        uint64_t s = r >> 8;

        if (type == REC_SMS) {
                if (v < 215) {
                        num_subscriber(num, pick_peer(gen, served),
                                       pick_spelling(s, 1, plain));
                } else if (v < 235) {
                        num_foreign(num, s >> 8, pick_spelling(s, 0, plain));
                } else {
                        num_text(num, NUM_SERVICE,
                                 short_codes[(s >> 8) % NELEM(short_codes)]);
                }
                return;
        }
        if (outgoing) {
                if (v < 140) {
                        num_subscriber(num, pick_peer(gen, served),
                                       pick_spelling(s, 1, plain));
                } else if (v < 205) {
                        const block_t *b =
                            &uk_geographic[(s >> 8) % NELEM(uk_geographic)];
                        num_block(num, b, (uint32_t)(s >> 16),
                                  pick_spelling(s, 1, plain));
                } else if (v < 218) {
                        const block_t *b =
                            &uk_nongeographic[(s >> 8) %
                                              NELEM(uk_nongeographic)];
                        num_block(num, b, (uint32_t)(s >> 16),
                                  pick_spelling(s, 1, plain));
                } else if (v < 240) {
                        num_foreign(num, s >> 8, pick_spelling(s, 0, plain));
                } else {
                        num_text(
                            num, NUM_SERVICE,
                            service_numbers[(s >> 8) % NELEM(service_numbers)]);
                }
        } else {
                if (v < 115) {
                        num_subscriber(num, pick_peer(gen, served),
                                       pick_spelling(s, 1, plain));
                } else if (v < 180) {
                        const block_t *b =
                            &uk_geographic[(s >> 8) % NELEM(uk_geographic)];
                        num_block(num, b, (uint32_t)(s >> 16),
                                  pick_spelling(s, 1, plain));
                } else if (v < 205) {
                        num_foreign(num, s >> 8, pick_spelling(s, 0, plain));
                } else {
                        const char *w =
                            withheld_spellings[(s >> 8) %
                                               NELEM(withheld_spellings)];
                        if (plain)
                                w = "anonymous";
                        num_text(num, NUM_WITHHELD, w);
                }
        }
}

/* Decides everything about the next record; the writers only spell it. */
static void fill(cdr_gen_t *gen, rec_t *rec)
{
        int voice_only = gen->opts.format == CDR_GEN_ASTERISK ||
                         gen->opts.format == CDR_GEN_CUCM;
        int plain = voice_only;
        uint64_t r;
        unsigned v;
        num_t *served;
        int hour;

        rec->id = gen->records + 1;
        rec->defect = CDR_GEN_WELL_FORMED;
        rec->var = 0;
        r = rng_next(gen);
        if (gen->all_malformed || r < gen->malformed_cut) {
                uint64_t k = rng_next(gen);
                rec->defect =
                    (cdr_gen_defect_t)gen->kinds[below(k, gen->nkinds)];
                rec->var = (uint32_t)k;
        }

        hour = (int)(gen->t_us / (3600 * US_PER_S) % 24);
        /* 24-bit draw: the product stays in 64 bits for any gap */
        gen->t_us +=
            (int64_t)(((rng_next(gen) >> 40) * gen->gap_us[hour]) >> 24);
        rec->start_us = gen->t_us;

        rec->sub = pick_served(gen);
        rec->h = sub_hash(gen, rec->sub);

        r = rng_next(gen);
        v = (unsigned)(r & 255);
        if (voice_only || v < 128)
                rec->type = REC_VOICE;
        else if (v < 192)
                rec->type = REC_SMS;
        else
                rec->type = REC_DATA;
        rec->mo = ((r >> 8) & 255) < (rec->type == REC_VOICE ? 141u : 128u);
        rec->tstyle = TS_ISO_Z;
        v = (unsigned)((r >> 16) % 10);
        if (v == 7)
                rec->tstyle = TS_ISO_MS;
        else if (v == 8)
                rec->tstyle = TS_ISO_OFFSET;
        else if (v == 9)
                rec->tstyle = TS_EPOCH;
        rec->cell = ((r >> 24) & 255) < 166
                        ? (uint32_t)(mix64(rec->h) % GEN_CELLS)
                        : below(r, GEN_CELLS);

        r = rng_next(gen);
        rec->bytes_up = rec->bytes_down = 0;
        rec->ring = 0;
        rec->duration = 0;
        rec->answered = 0;
        switch (rec->type) {
        case REC_VOICE:
                rec->cause = voice_cause(r, &rec->answered);
                rec->ring = 2 + (uint32_t)((r >> 8) % 19);
                if (rec->answered)
                        rec->duration = 1 +
                                        gen->expo[(r >> 16) & 1023] * 3 / 20 +
                                        (uint32_t)((r >> 32) % 7);
                else if (rec->cause == 19 || rec->cause == 18)
                        rec->ring = 20 + (uint32_t)((r >> 8) % 21);
                rec->end_us = rec->start_us +
                              (int64_t)(rec->ring + rec->duration) * US_PER_S +
                              (int64_t)((r >> 40) % 1000) * 1000;
                break;
        case REC_SMS:
                rec->cause = 0;
                rec->answered = 1;
                rec->end_us = rec->start_us + (int64_t)((r >> 8) % 3000) * 1000;
                break;
        default:
                rec->cause = data_cause(r);
                rec->duration = 1 + gen->expo[(r >> 8) & 1023] * 9 / 10;
                rec->bytes_down = (uint64_t)gen->expo[(r >> 18) & 1023] *
                                      gen->expo[(r >> 28) & 1023] * 3 +
                                  (r >> 40) % 4096;
                rec->bytes_up =
                    rec->bytes_down / (3 + (r >> 52) % 15) + (r >> 44) % 1500;
                rec->end_us = rec->start_us + (int64_t)rec->duration * US_PER_S;
                break;
        }

        r = rng_next(gen);
        if (rec->type == REC_DATA) {
                num_subscriber(&rec->calling, rec->sub,
                               pick_spelling(r, 1, plain));
                num_text(&rec->called, NUM_NONE, NULL);
                served = &rec->calling;
                rec->served_is_calling = 1;
        } else if (rec->mo) {
                num_subscriber(&rec->calling, rec->sub,
                               pick_spelling(r, 1, plain));
                pick_party(gen, &rec->called, rec->type, 1, plain, rec->sub);
                served = &rec->calling;
                rec->served_is_calling = 1;
        } else {
                pick_party(gen, &rec->calling, rec->type, 0, plain, rec->sub);
                num_subscriber(&rec->called, rec->sub,
                               pick_spelling(r, 1, plain));
                served = &rec->called;
                rec->served_is_calling = 0;
        }
        /* An unquoted JSON value that starts with '+' is never a JSON
         * number, so the broken object cannot parse by accident. */
        if (rec->defect == CDR_GEN_BAD_JSON && rec->var % 4 == 2)
                served->spelling = SP_E164;
}

/* The spelled numbers of a record, defects applied to the served one. */
typedef struct {
        char calling[128];
        char called[128];
        size_t calling_len;
        size_t called_len;
} texts_t;

static void spell(const rec_t *rec, texts_t *t)
{
        cdr_gen_defect_t d = rec->defect;

        t->calling_len = num_format(
            &rec->calling, t->calling,
            rec->served_is_calling ? d : CDR_GEN_WELL_FORMED, rec->var);
        t->called_len = num_format(
            &rec->called, t->called,
            rec->served_is_calling ? CDR_GEN_WELL_FORMED : d, rec->var);
}

static const word_t type_words[] = {W("voice"), W("sms"), W("data")};

/* A number field of a CSV layout; `quoted`: the layout quotes text. */
static char *put_csv_number(char *p, const char *s, size_t n, int quoted,
                            int broken, uint32_t var)
{
        if (broken) {
                /* A value quoted twice over by a naive exporter, or
                 * quotes inside an unquoted field: both break RFC 4180
                 * but keep the quotes balanced, so the damage stays in
                 * this record. */
                if (quoted || (var & 2)) {
                        p = PUT_LIT(p, "\"\"");
                        p = put_mem(p, s, n);
                        return PUT_LIT(p, "\"\"");
                }
                if (n < 4)
                        return PUT_LIT(p, "\"x\"");
                p = put_mem(p, s, 2);
                *p++ = '"';
                p = put_mem(p, s + 2, n - 4);
                *p++ = '"';
                return put_mem(p, s + n - 2, 2);
        }
        /* Numbers hold no quote, separator or line break. */
        if (!quoted)
                return put_text64(p, s, n);
        *p++ = '"';
        p = put_text64(p, s, n);
        *p++ = '"';
        return p;
}

static char *write_csv(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        texts_t t;
        int quote_bad = rec->defect == CDR_GEN_BAD_QUOTE;
        int columns_bad = rec->defect == CDR_GEN_BAD_COLUMNS;

        spell(rec, &t);
        p = put_u64(p, rec->id);
        *p++ = ',';
        p = put_word(p, &type_words[rec->type]);
        *p++ = ',';
        p = put_timestamp(gen, p, rec->start_us, rec->tstyle);
        *p++ = ',';
        p = put_timestamp(gen, p, rec->end_us, rec->tstyle);
        *p++ = ',';
        p = put_u64(p, rec->duration);
        *p++ = ',';
        p = put_csv_number(p, t.calling, t.calling_len, 0,
                           quote_bad && rec->served_is_calling, rec->var);
        *p++ = ',';
        p = put_csv_number(p, t.called, t.called_len, 0,
                           quote_bad && !rec->served_is_calling, rec->var);
        *p++ = ',';
        p = put_imsi(p, rec->sub);
        *p++ = ',';
        p = put_imei(gen, p, rec->h);
        *p++ = ',';
        p = put_cell(p, rec->cell);
        *p++ = ',';
        p = put_u64(p, rec->bytes_up);
        *p++ = ',';
        p = put_u64(p, rec->bytes_down);
        *p++ = ',';
        p = put_u64(p, (uint64_t)rec->cause);
        *p++ = ',';
        p = put_name(p, rec->h, ESC_CSV);
        *p++ = ',';
        if (columns_bad && (rec->var & 4))
                /* The address written unquoted: its commas split it. */
                p = put_address(p, rec->h, ESC_RAW, 1);
        else
                p = put_address(p, rec->h, ESC_CSV, 0);
        if (!(columns_bad && !(rec->var & 4))) {
                /* (a truncated row loses its last column) */
                *p++ = ',';
                p = put_payment(p, rec->h, ESC_CSV);
        }
        return p;
}

static char *put_json_ts(cdr_gen_t *gen, char *p, int64_t us, int style)
{
        if (style == TS_EPOCH)
                return put_i64(p, us / US_PER_S);
        *p++ = '"';
        p = put_timestamp(gen, p, us, style);
        *p++ = '"';
        return p;
}

/* A number as a JSON string: numbers hold no character that JSON
 * escapes (the non-UTF-8 byte of a defect is copied as it is). */
static char *put_json_number(char *p, const char *s, size_t n)
{
        *p++ = '"';
        p = put_text64(p, s, n);
        *p++ = '"';
        return p;
}

static char *write_json(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        texts_t t;
        int bad_json = rec->defect == CDR_GEN_BAD_JSON;
        unsigned jv = rec->var % 4;

        spell(rec, &t);
        p = PUT_LIT(p, "{\"record_id\":");
        p = put_u64(p, rec->id);
        if (bad_json && jv == 3)
                p = PUT_LIT(p, ",'record_type':\"");
        else
                p = PUT_LIT(p, ",\"record_type\":\"");
        p = put_word(p, &type_words[rec->type]);
        p = PUT_LIT(p, "\",\"start_time\":");
        p = put_json_ts(gen, p, rec->start_us, rec->tstyle);
        p = PUT_LIT(p, ",\"end_time\":");
        p = put_json_ts(gen, p, rec->end_us, rec->tstyle);
        p = PUT_LIT(p, ",\"duration\":");
        p = put_u64(p, rec->duration);
        p = PUT_LIT(p, ",\"calling_number\":");
        if (bad_json && jv == 2 && rec->served_is_calling)
                p = put_mem(p, t.calling, t.calling_len);
        else
                p = put_json_number(p, t.calling, t.calling_len);
        p = PUT_LIT(p, ",\"called_number\":");
        if (rec->called.cls == NUM_NONE)
                p = PUT_LIT(p, "null");
        else if (bad_json && jv == 2 && !rec->served_is_calling)
                p = put_mem(p, t.called, t.called_len);
        else
                p = put_json_number(p, t.called, t.called_len);
        p = PUT_LIT(p, ",\"imsi\":\"");
        p = put_imsi(p, rec->sub);
        p = PUT_LIT(p, "\",\"imei\":\"");
        p = put_imei(gen, p, rec->h);
        p = PUT_LIT(p, "\",\"cell_id\":\"");
        p = put_cell(p, rec->cell);
        p = PUT_LIT(p, "\",\"bytes_up\":");
        p = put_u64(p, rec->bytes_up);
        p = PUT_LIT(p, ",\"bytes_down\":");
        p = put_u64(p, rec->bytes_down);
        p = PUT_LIT(p, ",\"cause_for_term\":");
        p = put_u64(p, (uint64_t)rec->cause);
        p = PUT_LIT(p, ",\"subscriber_name\":");
        p = put_name(p, rec->h, ESC_JSON);
        p = PUT_LIT(p, ",\"subscriber_address\":");
        p = put_address(p, rec->h, ESC_JSON, 0);
        p = PUT_LIT(p, ",\"payment_ref\":");
        p = put_payment(p, rec->h, ESC_JSON);
        if (bad_json && jv == 1)
                *p++ = ',';
        if (!(bad_json && jv == 0))
                *p++ = '}';
        return p;
}

static int disposition(const rec_t *rec)
{
        switch (rec->cause) {
        case 16:
        case 31:
                return 0;
        case 18:
        case 19:
                return 1;
        case 17:
                return 2;
        case 34:
        case 41:
                return 4;
        default:
                return 3;
        }
}

static char *put_hex32(char *p, uint32_t v, int digits)
{
        int i;

        for (i = digits - 1; i >= 0; i--) {
                p[i] = hexdigits[v & 15];
                v >>= 4;
        }
        return p + digits;
}

/* Asterisk cdr_csv (Master.csv, loguniqueid and loguserfield on): text
 * columns always quoted, duration and billsec bare, dates as
 * "%Y-%m-%d %T" in UTC (cdr.conf usegmtime=yes). */
static char *write_asterisk(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        char tmp[256];
        texts_t t;
        size_t n;
        int quote_bad = rec->defect == CDR_GEN_BAD_QUOTE;
        int columns_bad = rec->defect == CDR_GEN_BAD_COLUMNS;
        uint64_t r = rng_next(gen);
        uint32_t talk = rec->answered ? rec->duration : 0;
        char *q;

        spell(rec, &t);
        /* accountcode */
        p = (r & 7) == 0 ? PUT_LIT(p, "\"callflow-business\",")
                         : PUT_LIT(p, "\"\",");
        p = put_csv_number(p, t.calling, t.calling_len, 1,
                           quote_bad && rec->served_is_calling, rec->var);
        *p++ = ',';
        p = put_csv_number(p, t.called, t.called_len, 1,
                           quote_bad && !rec->served_is_calling, rec->var);
        *p++ = ',';
        p = rec->mo ? PUT_LIT(p, "\"from-ims\",")
                    : PUT_LIT(p, "\"from-pstn\",");
        /* clid: "Name" <number> */
        q = tmp;
        *q++ = '"';
        if (rec->served_is_calling)
                q = put_name(q, rec->h, ESC_RAW);
        else if (rec->calling.cls == NUM_WITHHELD)
                q = PUT_LIT(q, "Anonymous");
        else
                q = put_mem(q, t.calling, t.calling_len);
        q = PUT_LIT(q, "\" <");
        q = put_mem(q, t.calling, t.calling_len);
        *q++ = '>';
        p = put_quoted(p, tmp, (size_t)(q - tmp));
        *p++ = ',';
        /* channel, dstchannel */
        p = rec->mo ? PUT_LIT(p, "\"PJSIP/ims-core-")
                    : PUT_LIT(p, "\"PJSIP/pstn-gw-");
        p = put_hex32(p, (uint32_t)rec->id, 8);
        p = PUT_LIT(p, "\",");
        if (disposition(rec) >= 3) {
                p = PUT_LIT(p, "\"\",");
        } else {
                p = rec->mo ? PUT_LIT(p, "\"PJSIP/pstn-gw-")
                            : PUT_LIT(p, "\"PJSIP/ims-core-");
                p = put_hex32(p, (uint32_t)(rec->id ^ 0x5a5a5a5a), 8);
                p = PUT_LIT(p, "\",");
        }
        /* lastapp, lastdata */
        p = PUT_LIT(p, "\"Dial\",");
        q = tmp;
        q = PUT_LIT(q, "PJSIP/");
        q = put_mem(q, t.called, t.called_len);
        q = rec->mo ? PUT_LIT(q, "@pstn-gw,60,tT")
                    : PUT_LIT(q, "@ims-core,45,t");
        if (columns_bad && (rec->var & 4))
                p = put_mem(p, tmp, (size_t)(q - tmp));
        else
                p = put_quoted(p, tmp, (size_t)(q - tmp));
        *p++ = ',';
        /* start, answer, end */
        *p++ = '"';
        p = put_datetime(gen, p, rec->start_us, ' ');
        p = PUT_LIT(p, "\",\"");
        if (rec->answered)
                p = put_datetime(
                    gen, p, rec->start_us + (int64_t)rec->ring * US_PER_S, ' ');
        p = PUT_LIT(p, "\",\"");
        p = put_datetime(gen, p, rec->end_us, ' ');
        p = PUT_LIT(p, "\",");
        p = put_u64(p, (uint64_t)((rec->end_us - rec->start_us) / US_PER_S));
        *p++ = ',';
        p = put_u64(p, talk);
        *p++ = ',';
        n = strlen(disp_text[disposition(rec)]);
        p = put_quoted(p, disp_text[disposition(rec)], n);
        p = (r & 0x70) == 0 ? PUT_LIT(p, ",\"BILLING\",\"")
                            : PUT_LIT(p, ",\"DOCUMENTATION\",\"");
        /* uniqueid */
        p = put_i64(p, rec->start_us / US_PER_S);
        *p++ = '.';
        p = put_u64(p, rec->id);
        *p++ = '"';
        if (!(columns_bad && !(rec->var & 4)))
                p = PUT_LIT(p, ",\"\"");
        return p;
}

/* The CUCM CDR fields (release 11.x), in file order; 1 marks text
 * columns, which CUCM writes quoted. */
static const struct {
        const char *name;
        uint8_t text;
} cucm_fields[] = {
    {"cdrRecordType", 0},
    {"globalCallID_callManagerId", 0},
    {"globalCallID_callId", 0},
    {"origLegCallIdentifier", 0},
    {"dateTimeOrigination", 0},
    {"origNodeId", 0},
    {"origSpan", 0},
    {"origIpAddr", 0},
    {"callingPartyNumber", 1},
    {"callingPartyUnicodeLoginUserID", 1},
    {"origCause_location", 0},
    {"origCause_value", 0},
    {"origPrecedenceLevel", 0},
    {"origMediaTransportAddress_IP", 0},
    {"origMediaTransportAddress_Port", 0},
    {"origMediaCap_payloadCapability", 0},
    {"origMediaCap_maxFramesPerPacket", 0},
    {"origMediaCap_g723BitRate", 0},
    {"origVideoCap_Codec", 0},
    {"origVideoCap_Bandwidth", 0},
    {"origVideoCap_Resolution", 0},
    {"origVideoTransportAddress_IP", 0},
    {"origVideoTransportAddress_Port", 0},
    {"origRSVPAudioStat", 1},
    {"origRSVPVideoStat", 1},
    {"destLegIdentifier", 0},
    {"destNodeId", 0},
    {"destSpan", 0},
    {"destIpAddr", 0},
    {"originalCalledPartyNumber", 1},
    {"finalCalledPartyNumber", 1},
    {"finalCalledPartyUnicodeLoginUserID", 1},
    {"destCause_location", 0},
    {"destCause_value", 0},
    {"destPrecedenceLevel", 0},
    {"destMediaTransportAddress_IP", 0},
    {"destMediaTransportAddress_Port", 0},
    {"destMediaCap_payloadCapability", 0},
    {"destMediaCap_maxFramesPerPacket", 0},
    {"destMediaCap_g723BitRate", 0},
    {"destVideoCap_Codec", 0},
    {"destVideoCap_Bandwidth", 0},
    {"destVideoCap_Resolution", 0},
    {"destVideoTransportAddress_IP", 0},
    {"destVideoTransportAddress_Port", 0},
    {"destRSVPAudioStat", 1},
    {"destRSVPVideoStat", 1},
    {"dateTimeConnect", 0},
    {"dateTimeDisconnect", 0},
    {"lastRedirectDn", 1},
    {"pkid", 1},
    {"originalCalledPartyNumberPartition", 1},
    {"callingPartyNumberPartition", 1},
    {"finalCalledPartyNumberPartition", 1},
    {"lastRedirectDnPartition", 1},
    {"duration", 0},
    {"origDeviceName", 1},
    {"destDeviceName", 1},
    {"origCallTerminationOnBehalfOf", 0},
    {"destCallTerminationOnBehalfOf", 0},
    {"origCalledPartyRedirectOnBehalfOf", 0},
    {"lastRedirectRedirectOnBehalfOf", 0},
    {"origCalledPartyRedirectReason", 0},
    {"lastRedirectRedirectReason", 0},
    {"destConversationId", 0},
    {"globalCallId_ClusterID", 1},
    {"joinOnBehalfOf", 0},
    {"comment", 1},
    {"authCodeDescription", 1},
    {"authorizationLevel", 0},
    {"clientMatterCode", 1},
    {"origDTMFMethod", 0},
    {"destDTMFMethod", 0},
    {"callSecuredStatus", 0},
    {"origConversationId", 0},
    {"origMediaCap_Bandwidth", 0},
    {"destMediaCap_Bandwidth", 0},
    {"authorizationCodeValue", 1},
    {"outpulsedCallingPartyNumber", 1},
    {"outpulsedCalledPartyNumber", 1},
    {"origIpv4v6Addr", 1},
    {"destIpv4v6Addr", 1},
    {"origVideoCap_Codec_Channel2", 0},
    {"origVideoCap_Bandwidth_Channel2", 0},
    {"origVideoCap_Resolution_Channel2", 0},
    {"origVideoTransportAddress_IP_Channel2", 0},
    {"origVideoTransportAddress_Port_Channel2", 0},
    {"origVideoChannel_Role_Channel2", 0},
    {"destVideoCap_Codec_Channel2", 0},
    {"destVideoCap_Bandwidth_Channel2", 0},
    {"destVideoCap_Resolution_Channel2", 0},
    {"destVideoTransportAddress_IP_Channel2", 0},
    {"destVideoTransportAddress_Port_Channel2", 0},
    {"destVideoChannel_Role_Channel2", 0},
    {"IncomingProtocolID", 0},
    {"IncomingProtocolCallRef", 1},
    {"OutgoingProtocolID", 0},
    {"OutgoingProtocolCallRef", 1},
    {"currentRoutingReason", 0},
    {"origRoutingReason", 0},
    {"lastRedirectingRoutingReason", 0},
    {"huntPilotPartition", 1},
    {"huntPilotDN", 1},
    {"calledPartyPatternUsage", 0},
    {"IncomingICID", 1},
    {"IncomingOrigIOI", 1},
    {"IncomingTermIOI", 1},
    {"OutgoingICID", 1},
    {"OutgoingOrigIOI", 1},
    {"OutgoingTermIOI", 1},
    {"outpulsedOriginalCalledPartyNumber", 1},
    {"outpulsedLastRedirectingNumber", 1},
    {"wasCallQueued", 0},
    {"totalWaitTimeInQueue", 0},
    {"callingPartyNumber_uri", 1},
    {"originalCalledPartyNumber_uri", 1},
    {"finalCalledPartyNumber_uri", 1},
    {"lastRedirectDn_uri", 1},
    {"mobileCallingPartyNumber", 1},
    {"finalMobileCalledPartyNumber", 1},
    {"origMobileDeviceName", 1},
    {"destMobileDeviceName", 1},
    {"origMobileCallDuration", 0},
    {"destMobileCallDuration", 0},
    {"mobileCallType", 0},
    {"originalCalledPartyPattern", 1},
    {"finalCalledPartyPattern", 1},
    {"lastRedirectingPartyPattern", 1},
    {"huntPilotPattern", 1},
};

#define CUCM_NFIELDS NELEM(cucm_fields)

/* An IPv4 address as CUCM writes it: the address bytes read as a
 * little-endian signed 32-bit integer. */
static char *put_cucm_ip(char *p, uint32_t a, uint32_t b, uint32_t c,
                         uint32_t d)
{
        uint32_t v = a | b << 8 | c << 16 | d << 24;

        return put_i64(p, (int64_t)(int32_t)v);
}

static char *put_dotted(char *p, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
        p = put_u64(p, a);
        *p++ = '.';
        p = put_u64(p, b);
        *p++ = '.';
        p = put_u64(p, c);
        *p++ = '.';
        return put_u64(p, d);
}

/* A device MAC address in upper-case hex, as in SEP names. */
static char *put_mac(char *p, uint64_t h)
{
        static const char upper[] = "0123456789ABCDEF";
        int i;

        for (i = 11; i >= 0; i--) {
                p[i] = upper[h & 15];
                h >>= 4;
        }
        return p + 12;
}

/* A clean E.164 copy of a number for the outpulsed columns. */
static size_t e164_text(const num_t *num, char *out)
{
        num_t copy = *num;

        if (num->cls == NUM_PERSONAL)
                copy.spelling = SP_E164;
        return num_format(&copy, out, CDR_GEN_WELL_FORMED, 0);
}

static char *write_cucm(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        char tmp[128];
        texts_t t;
        size_t i, n, last = CUCM_NFIELDS;
        uint64_t r = rng_next(gen);
        uint64_t r2 = rng_next(gen);
        uint32_t node = 1 + (uint32_t)(r % 3);
        uint32_t phone_c = (uint32_t)(rec->h >> 40) & 255;
        uint32_t phone_d = 1 + (uint32_t)(rec->h >> 48) % 254;
        uint32_t gw_d = 10 + (uint32_t)((r >> 8) % 4);
        int64_t start = rec->start_us / US_PER_S;
        int quote_bad = rec->defect == CDR_GEN_BAD_QUOTE;
        int columns_bad = rec->defect == CDR_GEN_BAD_COLUMNS;
        int origin_releases = (r >> 16) & 1;
        int disp = disposition(rec);

        spell(rec, &t);
        if (columns_bad && !(rec->var & 4))
                last = CUCM_NFIELDS - 1;
        for (i = 0; i < last; i++) {
                if (i > 0)
                        *p++ = ',';
                switch (i) {
                case 0:
                        *p++ = '1';
                        break;
                case 1:
                case 5:
                        p = put_u64(p, node);
                        break;
                case 26:
                        p = put_u64(p, 1 + (node % 3));
                        break;
                case 2:
                        p = put_u64(p, 1000000 + rec->id);
                        break;
                case 3:
                        p = put_u64(p, 16777216 + 2 * rec->id);
                        break;
                case 25:
                        p = put_u64(p, 16777217 + 2 * rec->id);
                        break;
                case 4:
                        p = put_i64(p, start);
                        break;
                case 7:
                        p = put_cucm_ip(p, 10, 20, phone_c, phone_d);
                        break;
                case 13:
                        if (rec->answered)
                                p = put_cucm_ip(p, 10, 20, phone_c, phone_d);
                        else
                                *p++ = '0';
                        break;
                case 28:
                        p = put_cucm_ip(p, 10, 30, 0, gw_d);
                        break;
                case 35:
                        if (rec->answered)
                                p = put_cucm_ip(p, 10, 30, 0, gw_d);
                        else
                                *p++ = '0';
                        break;
                case 14:
                case 36:
                        if (rec->answered)
                                p = put_u64(
                                    p, 16384 + 2 * ((r >> (i == 14 ? 20 : 34)) %
                                                    8000));
                        else
                                *p++ = '0';
                        break;
                case 15:
                case 37:
                        *p++ = rec->answered ? '4' : '0';
                        break;
                case 16:
                case 38:
                        p = rec->answered ? PUT_LIT(p, "20") : PUT_LIT(p, "0");
                        break;
                case 12:
                case 34:
                        *p++ = '4';
                        break;
                case 11:
                        p = put_u64(p, origin_releases || disp > 0
                                           ? (uint64_t)rec->cause
                                           : 0);
                        break;
                case 33:
                        p = put_u64(p, !origin_releases || disp > 0
                                           ? (uint64_t)rec->cause
                                           : 0);
                        break;
                case 8:
                        p = put_csv_number(p, t.calling, t.calling_len, 1,
                                           quote_bad && rec->served_is_calling,
                                           rec->var);
                        break;
                case 29:
                case 30:
                case 49:
                        p = put_csv_number(
                            p, t.called, t.called_len, 1,
                            quote_bad && !rec->served_is_calling && i != 49,
                            rec->var);
                        break;
                case 47:
                        if (rec->answered)
                                p = put_i64(p, start + rec->ring);
                        else
                                *p++ = '0';
                        break;
                case 48:
                        p = put_i64(p, rec->end_us / US_PER_S);
                        break;
                case 50:
                        /* pkid: a version 4 UUID */
                        *p++ = '"';
                        p = put_hex32(p, (uint32_t)r2, 8);
                        *p++ = '-';
                        p = put_hex32(p, (uint32_t)(r2 >> 32), 4);
                        p = PUT_LIT(p, "-4");
                        p = put_hex32(p, (uint32_t)(r2 >> 48), 3);
                        *p++ = '-';
                        *p++ = hexdigits[8 + ((r >> 24) & 3)];
                        p = put_hex32(p, (uint32_t)(r >> 26), 3);
                        *p++ = '-';
                        p = put_hex32(p, (uint32_t)(r >> 38), 4);
                        p = put_hex32(p, (uint32_t)mix64(r2), 8);
                        *p++ = '"';
                        break;
                case 51:
                case 53:
                case 54:
                        p = rec->mo ? PUT_LIT(p, "\"PT_PSTN\"")
                                    : PUT_LIT(p, "\"PT_Internal\"");
                        break;
                case 52:
                        p = rec->mo ? PUT_LIT(p, "\"PT_Internal\"")
                                    : PUT_LIT(p, "\"PT_PSTN\"");
                        break;
                case 55:
                        p = put_u64(p, rec->answered ? rec->duration : 0);
                        break;
                case 56:
                case 57:
                        if ((i == 56) == (rec->mo != 0)) {
                                /* a phone: SEP and its MAC address */
                                p = PUT_LIT(p, "\"SEP");
                                p = put_mac(p, rec->h);
                                *p++ = '"';
                        } else {
                                p = PUT_LIT(p, "\"CUBE-SIP-TRUNK\"");
                        }
                        break;
                case 58:
                        p = origin_releases ? PUT_LIT(p, "12")
                                            : PUT_LIT(p, "0");
                        break;
                case 59:
                        p = origin_releases ? PUT_LIT(p, "0")
                                            : PUT_LIT(p, "12");
                        break;
                case 65:
                        p = PUT_LIT(p, "\"StandAloneCluster\"");
                        break;
                case 71:
                case 72:
                        *p++ = '3';
                        break;
                case 75:
                case 76:
                        p = PUT_LIT(p, "64");
                        break;
                case 78:
                        n = e164_text(&rec->calling, tmp);
                        p = put_quoted(p, tmp, n);
                        break;
                case 79:
                case 110:
                        n = e164_text(&rec->called, tmp);
                        p = put_quoted(p, tmp, n);
                        break;
                case 80:
                        *p++ = '"';
                        p = put_dotted(p, 10, 20, phone_c, phone_d);
                        *p++ = '"';
                        break;
                case 81:
                        *p++ = '"';
                        p = put_dotted(p, 10, 30, 0, gw_d);
                        *p++ = '"';
                        break;
                case 94:
                case 96:
                        *p++ = '3'; /* SIP */
                        break;
                case 103:
                        *p++ = '2';
                        break;
                default:
                        if (cucm_fields[i].text)
                                p = PUT_LIT(p, "\"\"");
                        else
                                *p++ = '0';
                }
        }
        if (columns_bad && (rec->var & 4))
                p = PUT_LIT(p, ",\"\"");
        return p;
}

/* --- Public interface ----------------------------------------------- */

static const char *const csv_columns[] = {
    "record_id",      "record_type",     "start_time",         "end_time",
    "duration",       "calling_number",  "called_number",      "imsi",
    "imei",           "cell_id",         "bytes_up",           "bytes_down",
    "cause_for_term", "subscriber_name", "subscriber_address", "payment_ref",
};

/* Asterisk cdr_csv column order (loguniqueid and loguserfield on). */
static const char *const asterisk_columns[] = {
    "accountcode", "src",        "dst",       "dcontext", "clid",
    "channel",     "dstchannel", "lastapp",   "lastdata", "start",
    "answer",      "end",        "duration",  "billsec",  "disposition",
    "amaflags",    "uniqueid",   "userfield",
};

void cdr_gen_options_default(cdr_gen_options_t *opts)
{
        memset(opts, 0, sizeof(*opts));
        opts->format = CDR_GEN_CSV;
        opts->seed = 1;
        opts->subscribers = 100000;
        opts->malformed_share = 0.01;
        opts->zipf_exponent = 0.7;
        opts->start_time = GEN_DEFAULT_START;
        opts->crlf = 0;
}

static const char *const format_names[] = {"csv", "json", "asterisk", "cucm"};

int cdr_gen_format_parse(const char *name, cdr_gen_format_t *format)
{
        size_t i;

        for (i = 0; i < NELEM(format_names); i++) {
                if (strcmp(name, format_names[i]) == 0) {
                        *format = (cdr_gen_format_t)i;
                        return CDR_OK;
                }
        }
        return CDR_ERR_INVAL;
}

const char *cdr_gen_format_name(cdr_gen_format_t format)
{
        if ((size_t)format >= NELEM(format_names))
                return "unknown";
        return format_names[format];
}

const char *cdr_gen_defect_name(cdr_gen_defect_t defect)
{
        static const char *const names[CDR_GEN_DEFECTS] = {
            "well-formed", "letters", "digits", "quote",
            "columns",     "utf8",    "json",
        };

        if ((unsigned)defect >= CDR_GEN_DEFECTS)
                return "unknown";
        return names[defect];
}

size_t cdr_gen_column_count(cdr_gen_format_t format)
{
        switch (format) {
        case CDR_GEN_CSV:
        case CDR_GEN_JSON:
                return NELEM(csv_columns);
        case CDR_GEN_ASTERISK:
                return NELEM(asterisk_columns);
        case CDR_GEN_CUCM:
                return CUCM_NFIELDS;
        }
        return 0;
}

const char *cdr_gen_column_name(cdr_gen_format_t format, size_t i)
{
        if (i >= cdr_gen_column_count(format))
                return NULL;
        switch (format) {
        case CDR_GEN_CSV:
        case CDR_GEN_JSON:
                return csv_columns[i];
        case CDR_GEN_ASTERISK:
                return asterisk_columns[i];
        case CDR_GEN_CUCM:
                return cucm_fields[i].name;
        }
        return NULL;
}

int cdr_gen_default_header(cdr_gen_format_t format)
{
        return format == CDR_GEN_CSV || format == CDR_GEN_CUCM;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
        while (b) {
                uint32_t t = a % b;
                a = b;
                b = t;
        }
        return a;
}

/* Vose's alias method in 32-bit fixed point over weights 1/(rank+1)^s,
 * ranks spread over subscriber indexes by a bijection so that the
 * busiest subscribers are not simply the first ones. */
static int build_alias(cdr_gen_t *gen)
{
        uint32_t n = gen->nsub;
        /* a subscriber's weight, then its share in fixed point */
        union {
                double w;
                uint64_t q;
        } *slot = NULL;
        uint32_t *work = NULL;
        uint32_t mult, off, i, ns = 0, nl = 0;
        double total = 0.0, scale;
        const uint64_t one = 1ULL << 32;

        gen->slots = malloc((size_t)n * sizeof(*gen->slots));
        slot = malloc((size_t)n * sizeof(*slot));
        work = malloc((size_t)n * sizeof(*work));
        if (!gen->slots || !slot || !work)
                goto err;

        mult = (uint32_t)(2654435761u % n) | 1u;
        while (gcd32(mult, n) != 1)
                mult += 2;
        off = (uint32_t)(gen->salt % n);
        for (i = 0; i < n; i++) {
                uint32_t sub = (uint32_t)(((uint64_t)i * mult + off) % n);
                double w = pow((double)i + 1.0, -gen->opts.zipf_exponent);
                slot[sub].w = w;
                total += w;
        }
        scale = (double)n * (double)one / total;
        for (i = 0; i < n; i++) {
                double w = slot[i].w;
                slot[i].q = (uint64_t)llround(w * scale);
        }
        /* small ones from the front of work, large ones from the back */
        for (i = 0; i < n; i++) {
                if (slot[i].q < one)
                        work[ns++] = i;
                else
                        work[n - 1 - nl++] = i;
        }
        while (ns > 0 && nl > 0) {
                uint32_t s = work[--ns];
                uint32_t l = work[n - nl];
                gen->slots[s].thresh = (uint32_t)slot[s].q;
                gen->slots[s].alias = l;
                slot[l].q -= one - slot[s].q;
                if (slot[l].q < one) {
                        nl--;
                        work[ns++] = l;
                }
        }
        /* What is left holds (up to rounding) exactly one slot each. */
        while (ns > 0) {
                uint32_t s = work[--ns];
                gen->slots[s].thresh = UINT32_MAX;
                gen->slots[s].alias = s;
        }
        while (nl > 0) {
                uint32_t l = work[n - nl--];
                gen->slots[l].thresh = UINT32_MAX;
                gen->slots[l].alias = l;
        }
        free(slot);
        free(work);
        return CDR_OK;
err:
        free(slot);
        free(work);
        return CDR_ERR_NOMEM;
}

cdr_gen_t *cdr_gen_new(const cdr_gen_options_t *opts, char *errstr,
                       size_t errstr_size)
{
        cdr_gen_t *gen;
        uint64_t x;
        uint64_t base_gap, wsum = 0;
        int i;

        if ((unsigned)opts->format > CDR_GEN_CUCM) {
                cdr_errf(errstr, errstr_size, "gen: unknown format");
                return NULL;
        }
        if (opts->subscribers < 1 ||
            opts->subscribers > CDR_GEN_MAX_SUBSCRIBERS) {
                cdr_errf(errstr, errstr_size, "gen: subscribers must be 1-%u",
                         CDR_GEN_MAX_SUBSCRIBERS);
                return NULL;
        }
        if (!(opts->malformed_share >= 0.0 && opts->malformed_share <= 1.0)) {
                cdr_errf(errstr, errstr_size,
                         "gen: malformed share must be 0-1");
                return NULL;
        }
        if (!(opts->zipf_exponent >= 0.0 && opts->zipf_exponent <= 3.0)) {
                cdr_errf(errstr, errstr_size, "gen: Zipf exponent must be 0-3");
                return NULL;
        }
        if (opts->start_time < 0 || opts->start_time > GEN_MAX_START) {
                cdr_errf(errstr, errstr_size,
                         "gen: start time must be 0-%lld epoch seconds",
                         (long long)GEN_MAX_START);
                return NULL;
        }
        gen = calloc(1, sizeof(*gen));
        if (gen == NULL)
                goto nomem;
        gen->opts = *opts;
        x = opts->seed;
        for (i = 0; i < 4; i++)
                gen->s[i] = splitmix64(&x);
        gen->salt = splitmix64(&x);
        gen->nsub = opts->subscribers;
        if (build_alias(gen) != CDR_OK)
                goto nomem;
        gen->next_draw = rng_next(gen);

        if (opts->malformed_share >= 1.0)
                gen->all_malformed = 1;
        else
                gen->malformed_cut =
                    (uint64_t)(opts->malformed_share * 18446744073709551616.0);
        if (opts->format == CDR_GEN_JSON) {
                gen->kinds = json_kinds;
                gen->nkinds = NELEM(json_kinds);
        } else {
                gen->kinds = csv_kinds;
                gen->nkinds = NELEM(csv_kinds);
        }

        /* Mean gap between records so that the population makes
         * GEN_RECORDS_PER_SUB_DAY a day, shaped by hour; gap_us holds
         * twice the mean (the draw is uniform below it). */
        for (i = 0; i < 24; i++)
                wsum += hour_weight[i];
        base_gap = (uint64_t)US_PER_DAY /
                   ((uint64_t)GEN_RECORDS_PER_SUB_DAY * gen->nsub);
        for (i = 0; i < 24; i++)
                gen->gap_us[i] = 2 * base_gap * wsum / 24 / hour_weight[i];
        gen->t_us = opts->start_time * US_PER_S;
        gen->day = -1;

        for (i = 0; i < 1024; i++)
                gen->expo[i] =
                    (uint32_t)(-1000.0 * log(1.0 - ((double)i + 0.5) / 1024.0));
        for (i = 0; i < (int)NTACS; i++) {
                int j;
                unsigned sum = 0;
                for (j = 0; j < 8; j++)
                        sum += luhn_digit((unsigned)(tacs[i][j] - '0'), j);
                gen->tac_luhn[i] = (uint8_t)sum;
        }
        gen->eol = opts->crlf ? "\r\n" : "\n";
        gen->eol_len = opts->crlf ? 2 : 1;
        return gen;
nomem:
        cdr_gen_destroy(gen);
        cdr_errf(errstr, errstr_size, "gen: out of memory");
        return NULL;
}

void cdr_gen_destroy(cdr_gen_t *gen)
{
        if (gen == NULL)
                return;
        free(gen->slots);
        free(gen);
}

int cdr_gen_header(const cdr_gen_t *gen, cdr_buf_t *out)
{
        cdr_gen_format_t format = gen->opts.format;
        size_t i, n = cdr_gen_column_count(format);
        int quote = format == CDR_GEN_CUCM;
        int rc = CDR_OK;

        if (format == CDR_GEN_JSON)
                return CDR_OK;
        for (i = 0; i < n && rc == CDR_OK; i++) {
                if (i > 0)
                        rc = cdr_buf_putc(out, ',');
                if (rc == CDR_OK && quote)
                        rc = cdr_buf_putc(out, '"');
                if (rc == CDR_OK)
                        rc = cdr_buf_puts(out, cdr_gen_column_name(format, i));
                if (rc == CDR_OK && quote)
                        rc = cdr_buf_putc(out, '"');
        }
        if (rc == CDR_OK)
                rc = cdr_buf_append(out, gen->eol, gen->eol_len);
        return rc;
}

int cdr_gen_record(cdr_gen_t *gen, cdr_buf_t *out, cdr_gen_defect_t *defect)
{
        rec_t rec;
        char *start, *p;

        if (cdr_buf_reserve(out, GEN_RECORD_MAX) != CDR_OK)
                return CDR_ERR_NOMEM;
        fill(gen, &rec);
        start = out->data + out->len;
        switch (gen->opts.format) {
        case CDR_GEN_JSON:
                p = write_json(gen, &rec, start);
                break;
        case CDR_GEN_ASTERISK:
                p = write_asterisk(gen, &rec, start);
                break;
        case CDR_GEN_CUCM:
                p = write_cucm(gen, &rec, start);
                break;
        default:
                p = write_csv(gen, &rec, start);
        }
        p = put_mem(p, gen->eol, gen->eol_len);
        *p = '\0';
        out->len += (size_t)(p - start);
        gen->records++;
        if (rec.defect != CDR_GEN_WELL_FORMED)
                gen->malformed++;
        if (defect)
                *defect = rec.defect;
        return CDR_OK;
}

uint64_t cdr_gen_records(const cdr_gen_t *gen)
{
        return gen->records;
}

uint64_t cdr_gen_malformed(const cdr_gen_t *gen)
{
        return gen->malformed;
}
