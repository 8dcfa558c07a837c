/*
 * The generator's integer and date formatting (see gen_int.h): digits
 * written straight into reserved buffer space, dates spelled once a day.
 */
#include "gen_int.h"

/* --- Formatting ----------------------------------------------------- */

const char cdr_gen_digits2[201] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

const char cdr_gen_hexdigits[] = "0123456789abcdef";

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

void cdr_gen_set_day(cdr_gen_t *gen, int64_t day)
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
