/*
 * cdranon: one binary, one mode switch.  main() hardens the process,
 * finds the subcommand and hands it the rest of the command line.
 */
#include "cmd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#ifndef CDRANON_VERSION
#define CDRANON_VERSION "0.1.0"
#endif

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} commands[] = {
    {"run", cdr_cmd_run, "the daemon: Kafka in, anonymised and sealed out"},
    {"anonymise", cdr_cmd_anonymise,
     "anonymise and seal records from files (a pipe filter)"},
    {"check-config", cdr_cmd_check_config,
     "validate a configuration and print the effective policy"},
    {"keygen", cdr_cmd_keygen,
     "create pseudonymisation keys and custodian key pairs"},
    {"pseudonym", cdr_cmd_pseudonym,
     "print the canonical form and pseudonym of values"},
    {"unseal", cdr_cmd_unseal,
     "open sealed records with the custodian's private keys"},
    {"request", cdr_cmd_request,
     "answer a subject access or lawful request from the sealed index"},
    {"gen", cdr_cmd_gen, "generate realistic synthetic CDRs"},
    {"risk", cdr_cmd_risk, "measure the re-identification risk of an output"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
        size_t i;

        fprintf(out, "Usage: cdranon COMMAND [OPTION]...\n\n"
                     "Pseudonymise, minimise and seal call-detail "
                     "records.\n\nCommands:\n");
        for (i = 0; i < NCOMMANDS; i++)
                fprintf(out, "  %-14s %s\n", commands[i].name,
                        commands[i].summary);
        fprintf(out, "\nRun 'cdranon COMMAND --help' for a command's "
                     "options.\n  -h, --help     this help\n"
                     "  -V, --version  print the version\n");
}

int main(int argc, char **argv)
{
        struct sigaction sa;
        size_t i;

        /* No core dumps and no ptrace by other users' processes: the
         * process holds pseudonymisation keys and raw records. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);

        if (argc < 2) {
                usage(stderr);
                return CDR_EXIT_USAGE;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
            !strcmp(argv[1], "help")) {
                usage(stdout);
                return CDR_EXIT_OK;
        }
        if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
                printf("cdranon %s\n", CDRANON_VERSION);
                return CDR_EXIT_OK;
        }
        for (i = 0; i < NCOMMANDS; i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "cdranon: unknown command '%s' (try --help)\n",
                argv[1]);
        return CDR_EXIT_USAGE;
}
