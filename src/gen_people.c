/*
 * A generated subscriber's other attributes (see gen_int.h): name,
 * address, payment reference, IMSI, IMEI and cell, all derived from the
 * subscriber's index or attribute hash instead of stored.
 */
#include "gen_int.h"

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

uint64_t cdr_gen_sub_hash(const cdr_gen_t *gen, uint32_t sub)
{
        return mix64(gen->salt ^ ((uint64_t)sub * 0x9e3779b97f4a7c15ULL));
}

/* "Name Surname", with now and then "Surname, Name", a middle initial or
 * a quoted nickname, as billing systems hold them.  The words hold no
 * character that needs escaping; only the separators do. */
char *cdr_gen_put_name(char *p, uint64_t h, int esc)
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
char *cdr_gen_put_address(char *p, uint64_t h, int esc, int one_line)
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
char *cdr_gen_put_payment(char *p, uint64_t h, int esc)
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

char *cdr_gen_put_imsi(char *p, uint32_t sub)
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
char *cdr_gen_put_imei(const cdr_gen_t *gen, char *p, uint64_t h)
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
char *cdr_gen_put_cell(char *p, uint32_t cell)
{
        p = PUT_LIT(p, "234-15-");
        p = put_fixed32(p, 4000 + cell / 40, 4);
        *p++ = '-';
        return put_fixed32(p, 20000 + (cell % 40) * 7, 5);
}

void cdr_gen_tac_luhn(uint8_t sums[16])
{
        int i;

        for (i = 0; i < (int)NTACS; i++) {
                int j;
                unsigned sum = 0;
                for (j = 0; j < 8; j++)
                        sum += luhn_digit((unsigned)(tacs[i][j] - '0'), j);
                sums[i] = (uint8_t)sum;
        }
}
