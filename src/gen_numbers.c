/*
 * The generator's number plan (see gen_int.h): every number it writes is
 * fictitious or reserved (config/README.md lists the ranges), spelled as
 * the switches of a mixed network spell them, and damaged on demand.
 */
#include "gen_int.h"

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

void cdr_gen_num_subscriber(num_t *num, uint32_t sub, int spelling)
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

void cdr_gen_num_text(num_t *num, int cls, const char *text)
{
        num->cls = (uint8_t)cls;
        num->text = text;
        num->nsn_len = 0;
}

/* A spelling for a number, weighted as a mixed network emits them.
 * `plain` limits it to what PBX trunks write (no URIs, no spaces). */
int cdr_gen_pick_spelling(uint64_t r, int home, int plain)
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
size_t cdr_gen_num_format(const num_t *num, char *out, cdr_gen_defect_t defect,
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

/* Another subscriber than `served`, when there is another. */
static uint32_t pick_peer(cdr_gen_t *gen, uint32_t served)
{
        uint32_t sub = pick_subscriber(gen);

        if (sub == served && gen->nsub > 1)
                sub = (sub + 1) % gen->nsub;
        return sub;
}

/* The other party of a voice call or SMS of subscriber `served`. */
void cdr_gen_pick_party(cdr_gen_t *gen, num_t *num, int type, int outgoing,
                        int plain, uint32_t served)
{
        uint64_t r = rng_next(gen);
        unsigned v = (unsigned)(r & 255);
        uint64_t s = r >> 8;

        if (type == REC_SMS) {
                if (v < 215) {
                        cdr_gen_num_subscriber(
                            num, pick_peer(gen, served),
                            cdr_gen_pick_spelling(s, 1, plain));
                } else if (v < 235) {
                        num_foreign(num, s >> 8,
                                    cdr_gen_pick_spelling(s, 0, plain));
                } else {
                        cdr_gen_num_text(
                            num, NUM_SERVICE,
                            short_codes[(s >> 8) % NELEM(short_codes)]);
                }
                return;
        }
        if (outgoing) {
                if (v < 140) {
                        cdr_gen_num_subscriber(
                            num, pick_peer(gen, served),
                            cdr_gen_pick_spelling(s, 1, plain));
                } else if (v < 205) {
                        const block_t *b =
                            &uk_geographic[(s >> 8) % NELEM(uk_geographic)];
                        num_block(num, b, (uint32_t)(s >> 16),
                                  cdr_gen_pick_spelling(s, 1, plain));
                } else if (v < 218) {
                        const block_t *b =
                            &uk_nongeographic[(s >> 8) %
                                              NELEM(uk_nongeographic)];
                        num_block(num, b, (uint32_t)(s >> 16),
                                  cdr_gen_pick_spelling(s, 1, plain));
                } else if (v < 240) {
                        num_foreign(num, s >> 8,
                                    cdr_gen_pick_spelling(s, 0, plain));
                } else {
                        cdr_gen_num_text(
                            num, NUM_SERVICE,
                            service_numbers[(s >> 8) % NELEM(service_numbers)]);
                }
        } else {
                if (v < 115) {
                        cdr_gen_num_subscriber(
                            num, pick_peer(gen, served),
                            cdr_gen_pick_spelling(s, 1, plain));
                } else if (v < 180) {
                        const block_t *b =
                            &uk_geographic[(s >> 8) % NELEM(uk_geographic)];
                        num_block(num, b, (uint32_t)(s >> 16),
                                  cdr_gen_pick_spelling(s, 1, plain));
                } else if (v < 205) {
                        num_foreign(num, s >> 8,
                                    cdr_gen_pick_spelling(s, 0, plain));
                } else {
                        const char *w =
                            withheld_spellings[(s >> 8) %
                                               NELEM(withheld_spellings)];
                        if (plain)
                                w = "anonymous";
                        cdr_gen_num_text(num, NUM_WITHHELD, w);
                }
        }
}
