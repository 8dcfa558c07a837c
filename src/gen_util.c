/*
 * The generator's integer and date formatting (see gen_int.h): digits
 * written straight into reserved buffer space, dates spelled once a day.
 */
#include "gen_int.h"
#include "cdranon/civil.h"

/* --- Formatting ----------------------------------------------------- */

const char cdr_gen_digits2[201] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

const char cdr_gen_hexdigits[] = "0123456789abcdef";

/* --- Dates ---------------------------------------------------------- */

void cdr_gen_set_day(cdr_gen_t *gen, int64_t day)
{
        int64_t y;
        unsigned m, d;
        char *p = gen->date;

        cdr_civil_date(day, &y, &m, &d);
        p = put_fixed(p, (uint64_t)y, 4);
        *p++ = '-';
        p = put_2d(p, m);
        *p++ = '-';
        put_2d(p, d);
        gen->day = day;
}
