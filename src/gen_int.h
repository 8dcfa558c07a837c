/*
 * The synthetic CDR generator's private parts, shared by its files:
 *
 *   gen.c          options, population, the decisions of each record
 *   gen_formats.c  the four layouts (generic CSV, JSON, Asterisk, CUCM)
 *   gen_mobility.c the network of cells and where each subscriber is
 *   gen_numbers.c  the fictitious number plan and how numbers are spelled
 *   gen_people.c   names, addresses, payment, IMSI, IMEI, cell of a
 *                  subscriber
 *   gen_util.c     the digit tables and the date of a day
 *
 * Each file uses only those below it in this list and this header.  The
 * random draws and the integer and date formatting are inline here, as
 * they run several times per record.  Nothing here is API:
 * include/cdranon/gen.h is.
 */
#ifndef CDRANON_GEN_INT_H
#define CDRANON_GEN_INT_H

#include "cdranon/buf.h"
#include "cdranon/common.h"
#include "cdranon/gen_types.h"

#include <stdint.h>
#include <string.h>

/* Room reserved for one record: far above the longest record (about
 * 2 KiB for CUCM), which leaves the slack that the constant-size copies
 * (put_word, put_text64) write past their end. */
#define GEN_RECORD_MAX 8192

#define US_PER_S   1000000LL
#define US_PER_DAY (86400LL * US_PER_S)

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

/* --- Mobility (gen_mobility.c) -------------------------------------- */

#define GEN_SUBS_PER_CELL 200 /* the default size of the network */
#define GEN_MIN_CELLS     16
#define GEN_MOB_TABLE     4096 /* quantiles of a law */
#define GEN_MOB_PLACES    4096 /* places a subscriber tells apart */

/* A subscriber's whereabouts: 16 bytes. */
typedef struct {
        uint32_t until;  /* epoch minute the current stay ends */
        uint16_t home;   /* cells */
        uint16_t work;   /* home for those without a place of work */
        uint16_t cell;   /* the current stay's, once known */
        uint16_t place;  /* the current stay's: 0 home, 1 work, 2... */
        uint16_t places; /* distinct places so far; 0: not started */
        uint16_t flags;
} mob_sub_t;

/* The network and the laws of movement, read only once built; subs is
 * NULL for the layouts without a cell column. */
typedef struct {
        uint64_t seed;
        uint32_t start_minute;
        uint32_t ncells;
        uint32_t ntowns;
        double side; /* of the square region, km */
        float *cell_x, *cell_y;
        uint16_t *cell_town; /* 0: rural, else the town's rank */
        uint32_t grid_n;     /* buckets a side */
        double grid_step;
        uint32_t *grid_start; /* bucket b: grid_cells[start[b], start[b+1]) */
        uint16_t *grid_cells;
        uint16_t *grid_near;          /* a cell near each bucket */
        float jump[GEN_MOB_TABLE];    /* displacements, km */
        uint16_t wait[GEN_MOB_TABLE]; /* stays, minutes */
        float dir_x[256], dir_y[256];
        uint32_t p_new[GEN_MOB_PLACES + 1]; /* rho S^-gamma, as thresholds */
        double zipf_cdf[GEN_MOB_PLACES];
        uint32_t home_night, at_work; /* thresholds */
        mob_sub_t *subs;
} mob_t;

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
        mob_t mob;
};

/* --- Random numbers ------------------------------------------------- */

static inline uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static inline uint64_t mix64(uint64_t z)
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

/* --- Formatting (tables and dates in gen_util.c) ------------------- */

extern const char cdr_gen_digits2[201]; /* "00" "01" ... "99" */
extern const char cdr_gen_hexdigits[];  /* "0123456789abcdef" */

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

/* v in exactly `width` digits, zero-padded (v < 10^width). */
static inline char *put_fixed32(char *p, uint32_t v, int width)
{
        int i = width;

        while (i >= 2) {
                i -= 2;
                memcpy(p + i, cdr_gen_digits2 + 2 * (v % 100), 2);
                v /= 100;
        }
        if (i)
                p[0] = (char)('0' + v % 10);
        return p + width;
}

static inline char *put_fixed(char *p, uint64_t v, int width)
{
        if (width > 8) {
                /* the low eight digits in 32-bit arithmetic */
                put_fixed32(p, (uint32_t)(v / 100000000), width - 8);
                return put_fixed32(p + width - 8, (uint32_t)(v % 100000000), 8);
        }
        return put_fixed32(p, (uint32_t)v, width);
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

static inline char *put_u32(char *p, uint32_t v)
{
        int n;
        char *q;

        if (v < 10) {
                *p = (char)('0' + v);
                return p + 1;
        }
        if (v < 100)
                return put_mem(p, cdr_gen_digits2 + 2 * v, 2);
        n = count_digits(v);
        q = p + n;

        while (v >= 100) {
                q -= 2;
                memcpy(q, cdr_gen_digits2 + 2 * (v % 100), 2);
                v /= 100;
        }
        if (v >= 10)
                memcpy(q - 2, cdr_gen_digits2 + 2 * v, 2);
        else
                q[-1] = (char)('0' + v);
        return p + n;
}

static inline char *put_u64(char *p, uint64_t v)
{
        int n;

        if (v <= UINT32_MAX)
                return put_u32(p, (uint32_t)v);
        n = count_digits(v);
        char *q = p + n;

        while (v >= 100) {
                q -= 2;
                memcpy(q, cdr_gen_digits2 + 2 * (v % 100), 2);
                v /= 100;
        }
        if (v >= 10)
                memcpy(q - 2, cdr_gen_digits2 + 2 * v, 2);
        else
                q[-1] = (char)('0' + v);
        return p + n;
}

static inline char *put_i64(char *p, int64_t v)
{
        if (v < 0) {
                *p++ = '-';
                return put_u64(p, (uint64_t)0 - (uint64_t)v);
        }
        return put_u64(p, (uint64_t)v);
}

static inline char *put_2d(char *p, unsigned v)
{
        return put_mem(p, cdr_gen_digits2 + 2 * v, 2);
}

/* Always quoted, as Asterisk and CUCM write text columns. */
static inline char *put_quoted(char *p, const char *s, size_t n)
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

/* Spells gen->date for `day` (days since 1970-01-01). */
void cdr_gen_set_day(cdr_gen_t *gen, int64_t day);

/* "2026-11-27" + sep + "21:13:45" */
static inline char *put_datetime(cdr_gen_t *gen, char *p, int64_t us, char sep)
{
        int64_t s = us / US_PER_S;
        int64_t day = s / 86400;
        unsigned tod = (unsigned)(s % 86400);

        if (day != gen->day)
                cdr_gen_set_day(gen, day);
        p = put_mem(p, gen->date, 10);
        *p++ = sep;
        p = put_2d(p, tod / 3600);
        *p++ = ':';
        p = put_2d(p, tod / 60 % 60);
        *p++ = ':';
        return put_2d(p, tod % 60);
}

static inline char *put_timestamp(cdr_gen_t *gen, char *p, int64_t us,
                                  int style)
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

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* --- Words --------------------------------------------------------- */

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

/* How a text value is written. */
enum {
        ESC_RAW = 0, /* as is */
        ESC_CSV,     /* RFC 4180: quoted when needed, quotes doubled */
        ESC_JSON,    /* a JSON string */
};

/* --- Mobility: gen_mobility.c -------------------------------------- */

/* Builds the network and the tables; `track`: also the subscribers'
 * state (the layouts with a cell column).  Returns 0 or CDR_ERR_NOMEM
 * (cdr_gen_mob_free then releases what was built). */
int cdr_gen_mob_init(cdr_gen_t *gen, int track);
void cdr_gen_mob_free(mob_t *mob);
/* The cell of subscriber `sub` at time t_us; a subscriber's times must
 * not decrease from one call to the next. */
uint32_t cdr_gen_mob_cell(cdr_gen_t *gen, uint32_t sub, int64_t t_us);
/* Appends the cell table (see cdr_gen_cells_csv). */
int cdr_gen_mob_table(const cdr_gen_t *gen, cdr_buf_t *out);

/* --- The number plan: gen_numbers.c -------------------------------- */

/* The number of subscriber `sub`, spelled as SP_* `spelling`. */
void cdr_gen_num_subscriber(num_t *num, uint32_t sub, int spelling);
/* A service number, withheld or no party at all (NUM_*). */
void cdr_gen_num_text(num_t *num, int cls, const char *text);
/* A spelling for a number, weighted as a mixed network emits them.
 * `plain` limits it to what PBX trunks write (no URIs, no spaces). */
int cdr_gen_pick_spelling(uint64_t r, int home, int plain);
/* The other party of a voice call or SMS of subscriber `served`. */
void cdr_gen_pick_party(cdr_gen_t *gen, num_t *num, int type, int outgoing,
                        int plain, uint32_t served);
/* Writes the number as spelled into out (room for 128 bytes) with the
 * defect applied (number defects only; others are the writers'), and
 * returns its length. */
size_t cdr_gen_num_format(const num_t *num, char *out, cdr_gen_defect_t defect,
                          uint32_t var);

/* --- Subscribers' other attributes: gen_people.c ------------------- */

/* The attribute hash of subscriber `sub`: name, address, device... */
uint64_t cdr_gen_sub_hash(const cdr_gen_t *gen, uint32_t sub);
/* Fills the Luhn sums of the TAC digits (gen->tac_luhn). */
void cdr_gen_tac_luhn(uint8_t sums[16]);
char *cdr_gen_put_name(char *p, uint64_t h, int esc);
char *cdr_gen_put_address(char *p, uint64_t h, int esc, int one_line);
char *cdr_gen_put_payment(char *p, uint64_t h, int esc);
char *cdr_gen_put_imsi(char *p, uint32_t sub);
char *cdr_gen_put_imei(const cdr_gen_t *gen, char *p, uint64_t h);
char *cdr_gen_put_cell(char *p, uint32_t cell);

/* --- The layouts: gen_formats.c ------------------------------------ */

/* Each writes record `rec` at p (GEN_RECORD_MAX bytes of room), without
 * its line end, and returns the end. */
char *cdr_gen_write_csv(cdr_gen_t *gen, const rec_t *rec, char *p);
char *cdr_gen_write_json(cdr_gen_t *gen, const rec_t *rec, char *p);
char *cdr_gen_write_asterisk(cdr_gen_t *gen, const rec_t *rec, char *p);
char *cdr_gen_write_cucm(cdr_gen_t *gen, const rec_t *rec, char *p);

#endif
