/*
 * The subcommands of the cdranon binary.  Each takes the arguments after
 * its name (argv[0] is the command name), prints its own --help, reports
 * a fatal error as one line on stderr ("cdranon anonymise: ...") and
 * returns the process exit status.  Only main.c and the cmd_*.c files
 * print or exit.
 */
#ifndef CDRANON_CMD_H
#define CDRANON_CMD_H

#include <stdio.h>

#define CDR_EXIT_OK      0
#define CDR_EXIT_FAILURE 1 /* a fatal error, reported on stderr */
#define CDR_EXIT_USAGE   2 /* bad command line */
#define CDR_EXIT_PARTIAL 3 /* the run completed, but some records failed */
#define CDR_EXIT_RISK    4 /* cdranon risk: the unicity gate failed */

int cdr_cmd_anonymise(int argc, char **argv);
int cdr_cmd_check_config(int argc, char **argv);
int cdr_cmd_keygen(int argc, char **argv);
int cdr_cmd_pseudonym(int argc, char **argv);
int cdr_cmd_unseal(int argc, char **argv);
int cdr_cmd_request(int argc, char **argv);
int cdr_cmd_gen(int argc, char **argv);
int cdr_cmd_run(int argc, char **argv);
int cdr_cmd_risk(int argc, char **argv);

/* Prints "cdranon CMD: MESSAGE\n" to stderr. */
void cdr_cmd_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
