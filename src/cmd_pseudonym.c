/*
 * cdranon pseudonym: the data controller's lookup for subject access.
 * Prints the canonical form and the pseudonym of each value, so that a
 * subject's records can be found on the analytics side.
 */
#include "cmd.h"
#include "cdranon/civil.h"
#include "cdranon/config.h"
#include "cdranon/number.h"
#include "cdranon/pseudonym.h"
#include "cdranon/transform.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "pseudonym";

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: cdranon pseudonym -c FILE [--kind KIND] [--all-keys]\n"
            "                         [--purpose P --period PERIOD|DATE] "
            "VALUE...\n"
            "\n"
            "Prints, for each VALUE, a line 'KIND CANONICAL PSEUDONYM' (tab\n"
            "separated) under the configuration's numbering plan and key\n"
            "ring.  Service numbers and withheld values are not\n"
            "pseudonymised: their canonical form is printed twice.  In\n"
            "CANONICAL a backslash is written \\\\, a tab \\t, a line feed "
            "\\n,\n"
            "a carriage return \\r and any other control byte (below 0x20,\n"
            "or 0x7f) \\xHH, so that every line has exactly three columns.\n"
            "With --all-keys, one line per key of the ring (oldest first), to\n"
            "find records pseudonymised before a key rotation.  With no\n"
            "VALUE, values are read from standard input, one per line.\n"
            "\n"
            "  -c, --config FILE  configuration (required)\n"
            "  -k, --kind KIND    msisdn (default), imsi, imei or id\n"
            "  -a, --all-keys     use every key of the ring, not only the\n"
            "                     active one\n"
            "  -p, --purpose P    the pseudonyms of purpose P (v2, its\n"
            "                     domain); without it, v1 (no purposes)\n"
            "  -P, --period X     with --purpose: the rotation period, as\n"
            "                     the period (2026-11-27, 2026-W48, 2026-11,\n"
            "                     - for never) or a date YYYY-MM-DD in it\n"
            "  -h, --help         this help\n"
            "\n"
            "A value that is not valid for KIND is reported by position, not\n"
            "echoed; the exit status is then 1.\n");
}

/* Writes s[0..n) as one column of a tab-separated line: a backslash as
 * \\, TAB, LF and CR as \t, \n and \r, any other byte below 0x20 and
 * DEL as \xHH (two lower-case hex digits); other bytes as they are.  A
 * column so written holds no TAB or line end, and reads back unambiguously. */
static void put_column(const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                switch (c) {
                case '\\':
                        fputs("\\\\", stdout);
                        break;
                case '\t':
                        fputs("\\t", stdout);
                        break;
                case '\n':
                        fputs("\\n", stdout);
                        break;
                case '\r':
                        fputs("\\r", stdout);
                        break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                fputs("\\x", stdout);
                                putchar(hex[c >> 4]);
                                putchar(hex[c & 15]);
                        } else {
                                putchar(c);
                        }
                }
        }
}

/* Prints the lines for one value; returns 0 or CDR_ERR_MALFORMED. */
static int print_value(cdr_pseudonymiser_t **ps, size_t nps,
                       const cdr_numbering_t *plan, cdr_kind_t kind,
                       const char *value, size_t len, size_t index)
{
        char canon[CDR_CANON_MAX], pseudonym[CDR_PSEUDONYM_MAX + 1];
        const cdr_rule_t *reason = NULL;
        cdr_numclass_t cls;
        size_t canon_len, i;

        if (cdr_number_canonical(plan, kind, value, len, canon, &canon_len,
                                 &cls, &reason) != CDR_OK) {
                cdr_cmd_fail(CMD, "value %zu: not a valid %s: %s", index,
                             cdr_kind_name(kind), reason ? reason->text : "");
                return CDR_ERR_MALFORMED;
        }
        for (i = 0; i < nps; i++) {
                if (cls == CDR_NUM_PERSONAL)
                        cdr_pseudonymise(ps[i], kind, canon, canon_len,
                                         pseudonym);
                printf("%s\t", cdr_kind_name(kind));
                put_column(canon, canon_len);
                putchar('\t');
                if (cls == CDR_NUM_PERSONAL)
                        fputs(pseudonym, stdout);
                else
                        put_column(canon, canon_len);
                putchar('\n');
        }
        return CDR_OK;
}

int cdr_cmd_pseudonym(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"kind", required_argument, NULL, 'k'},
            {"all-keys", no_argument, NULL, 'a'},
            {"purpose", required_argument, NULL, 'p'},
            {"period", required_argument, NULL, 'P'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *path = NULL, *kind_name = "msisdn";
        const char *purpose = NULL, *period_arg = NULL;
        char domain[CDR_PSEUDONYM_DOMAIN_MAX + 1] = "";
        char errstr[1024];
        cdr_config_t *config = NULL;
        cdr_engine_t *engine = NULL;
        const cdr_keyring_t *ring = NULL;
        cdr_pseudonymiser_t **ps = NULL;
        size_t nps = 0, i, first, index = 0;
        cdr_kind_t kind;
        int opt, all = 0, rc = CDR_EXIT_FAILURE, bad = 0;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:k:ap:P:h", opts, NULL)) !=
               -1) {
                switch (opt) {
                case 'c':
                        path = optarg;
                        break;
                case 'k':
                        kind_name = optarg;
                        break;
                case 'a':
                        all = 1;
                        break;
                case 'p':
                        purpose = optarg;
                        break;
                case 'P':
                        period_arg = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        return CDR_EXIT_USAGE;
                }
        }
        if (path == NULL) {
                cdr_cmd_fail(CMD, "-c FILE is required (try --help)");
                return CDR_EXIT_USAGE;
        }
        if (cdr_kind_parse(kind_name, strlen(kind_name), &kind) != CDR_OK) {
                cdr_cmd_fail(CMD,
                             "--kind: unknown kind '%s' (msisdn, imsi, imei, "
                             "id)",
                             kind_name);
                return CDR_EXIT_USAGE;
        }
        if ((purpose == NULL) != (period_arg == NULL)) {
                cdr_cmd_fail(CMD, "--purpose and --period go together (try "
                                  "--help)");
                return CDR_EXIT_USAGE;
        }
        config = cdr_config_load(path, errstr, sizeof(errstr));
        if (config == NULL)
                goto fail;
        if (purpose != NULL) {
                const cdr_purpose_spec_t *p = NULL;
                const cdr_rule_t *rule = NULL;
                char period[CDR_CIVIL_PERIOD_MAX];

                for (i = 0; i < config->npurposes; i++)
                        if (strcmp(config->purposes[i].name, purpose) == 0)
                                p = &config->purposes[i];
                if (p == NULL) {
                        cdr_errf(errstr, sizeof(errstr),
                                 "--purpose %s: no such purpose in %s", purpose,
                                 path);
                        goto fail;
                }
                if (cdr_civil_period_parse(period_arg, strlen(period_arg),
                                           (cdr_rotate_t)p->rotate, period,
                                           &rule) != CDR_OK) {
                        cdr_errf(errstr, sizeof(errstr),
                                 "--period %s: %s (purpose %s rotates %s)",
                                 period_arg, rule ? rule->text : "malformed",
                                 p->name,
                                 p->rotate == CDR_ROTATE_DAY     ? "daily"
                                 : p->rotate == CDR_ROTATE_WEEK  ? "weekly"
                                 : p->rotate == CDR_ROTATE_MONTH ? "monthly"
                                                                 : "never");
                        goto fail;
                }
                snprintf(domain, sizeof(domain), "%s/%s", p->name, period);
        }
        engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
        if (engine == NULL)
                goto fail;
        ring = cdr_engine_keyring(engine);
        first = all ? 0 : cdr_keyring_count(ring) - 1;
        ps = calloc(cdr_keyring_count(ring), sizeof(*ps));
        if (ps == NULL) {
                cdr_errf(errstr, sizeof(errstr), "out of memory");
                goto fail;
        }
        for (i = first; i < cdr_keyring_count(ring); i++) {
                ps[nps] =
                    cdr_pseudonymiser_new(ring, i, 0, errstr, sizeof(errstr));
                if (ps[nps] == NULL)
                        goto fail;
                nps++;
                if (domain[0] != '\0' &&
                    cdr_pseudonymiser_set_domain(ps[nps - 1], domain, errstr,
                                                 sizeof(errstr)) != CDR_OK)
                        goto fail;
        }

        if (optind < argc) {
                for (i = (size_t)optind; i < (size_t)argc; i++)
                        if (print_value(ps, nps, &config->numbers, kind,
                                        argv[i], strlen(argv[i]),
                                        ++index) != CDR_OK)
                                bad++;
        } else {
                char *line = NULL;
                size_t cap = 0;
                ssize_t n;

                while ((n = getline(&line, &cap, stdin)) > 0) {
                        while (n > 0 &&
                               (line[n - 1] == '\n' || line[n - 1] == '\r'))
                                n--;
                        if (print_value(ps, nps, &config->numbers, kind, line,
                                        (size_t)n, ++index) != CDR_OK)
                                bad++;
                }
                if (line != NULL)
                        explicit_bzero(line, cap);
                free(line);
        }
        rc = bad ? CDR_EXIT_FAILURE : CDR_EXIT_OK;
        goto out;
fail:
        cdr_cmd_fail(CMD, "%s", errstr);
out:
        for (i = 0; i < nps; i++)
                cdr_pseudonymiser_destroy(ps[i]);
        free(ps);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return rc;
}
