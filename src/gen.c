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
#include "gen_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-27T00:00:00Z */
#define GEN_DEFAULT_START 1795737600LL
/* 9999-12-31T23:59:59Z: dates keep four-digit years. */
#define GEN_MAX_START 253402300799LL

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
        if (gen->mob.subs)
                __builtin_prefetch(&gen->mob.subs[rec->sub]);
        rec->h = cdr_gen_sub_hash(gen, rec->sub);

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
                cdr_gen_num_subscriber(&rec->calling, rec->sub,
                                       cdr_gen_pick_spelling(r, 1, plain));
                cdr_gen_num_text(&rec->called, NUM_NONE, NULL);
                served = &rec->calling;
                rec->served_is_calling = 1;
        } else if (rec->mo) {
                cdr_gen_num_subscriber(&rec->calling, rec->sub,
                                       cdr_gen_pick_spelling(r, 1, plain));
                cdr_gen_pick_party(gen, &rec->called, rec->type, 1, plain,
                                   rec->sub);
                served = &rec->calling;
                rec->served_is_calling = 1;
        } else {
                cdr_gen_pick_party(gen, &rec->calling, rec->type, 0, plain,
                                   rec->sub);
                cdr_gen_num_subscriber(&rec->called, rec->sub,
                                       cdr_gen_pick_spelling(r, 1, plain));
                served = &rec->called;
                rec->served_is_calling = 0;
        }
        /* An unquoted JSON value that starts with '+' is never a JSON
         * number, so the broken object cannot parse by accident. */
        if (rec->defect == CDR_GEN_BAD_JSON && rec->var % 4 == 2)
                served->spelling = SP_E164;
        /* Last, so that the prefetch of the subscriber's state has had
         * time; the layouts without a cell column track no one. */
        rec->cell =
            gen->mob.subs ? cdr_gen_mob_cell(gen, rec->sub, rec->start_us) : 0;
}

/* --- Public interface ----------------------------------------------- */

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
        opts->activity = 20.0;
        opts->cells = 0;
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
        if (!(opts->activity > 0.0 && opts->activity <= 1e6)) {
                cdr_errf(errstr, errstr_size,
                         "gen: activity must be above 0 and at most 1e6 "
                         "records a subscriber a day");
                return NULL;
        }
        if (opts->cells > CDR_GEN_MAX_CELLS) {
                cdr_errf(errstr, errstr_size, "gen: cells must be 1-%u",
                         CDR_GEN_MAX_CELLS);
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
        if (cdr_gen_mob_init(gen, opts->format == CDR_GEN_CSV ||
                                      opts->format == CDR_GEN_JSON) != CDR_OK)
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
         * `activity` records a subscriber a day, shaped by hour; gap_us
         * holds twice the mean (the draw is uniform below it). */
        for (i = 0; i < 24; i++)
                wsum += hour_weight[i];
        base_gap = (uint64_t)((double)US_PER_DAY /
                              (opts->activity * (double)gen->nsub));
        for (i = 0; i < 24; i++)
                gen->gap_us[i] = 2 * base_gap * wsum / 24 / hour_weight[i];
        gen->t_us = opts->start_time * US_PER_S;
        gen->day = -1;

        for (i = 0; i < 1024; i++)
                gen->expo[i] =
                    (uint32_t)(-1000.0 * log(1.0 - ((double)i + 0.5) / 1024.0));
        cdr_gen_tac_luhn(gen->tac_luhn);
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
        cdr_gen_mob_free(&gen->mob);
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
                p = cdr_gen_write_json(gen, &rec, start);
                break;
        case CDR_GEN_ASTERISK:
                p = cdr_gen_write_asterisk(gen, &rec, start);
                break;
        case CDR_GEN_CUCM:
                p = cdr_gen_write_cucm(gen, &rec, start);
                break;
        default:
                p = cdr_gen_write_csv(gen, &rec, start);
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

size_t cdr_gen_cell_count(const cdr_gen_t *gen)
{
        return gen->mob.ncells;
}

int cdr_gen_cells_csv(const cdr_gen_t *gen, cdr_buf_t *out)
{
        return cdr_gen_mob_table(gen, out);
}

uint64_t cdr_gen_records(const cdr_gen_t *gen)
{
        return gen->records;
}

uint64_t cdr_gen_malformed(const cdr_gen_t *gen)
{
        return gen->malformed;
}
