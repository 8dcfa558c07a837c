/*
 * What the commands share (cmd.h): their one-line fatal error.  Apart
 * from main.c, so that main.c calls the commands and the commands call
 * nothing of main.c.
 */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>

void cdr_cmd_fail(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "cdranon %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
