/*
 * cdranon check-config: load and validate a configuration, load every key
 * it names, and print the effective configuration and policy.
 */
#include "cmd.h"
#include "cdranon/config.h"
#include "cdranon/transform.h"

#include <getopt.h>

static const char *const CMD = "check-config";

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: cdranon check-config -c FILE\n"
                "\n"
                "Validates a configuration: every key and value, the field\n"
                "actions, and the key files it names (the HMAC key ring and\n"
                "the custodian public keys are loaded).  Prints the effective\n"
                "configuration and policy on stdout.  Exit status 0 only when\n"
                "the configuration is valid; otherwise one line on stderr\n"
                "naming the file, line and key at fault.\n"
                "\n"
                "  -c, --config FILE  configuration (required)\n"
                "  -q, --quiet        print nothing when valid\n"
                "  -h, --help         this help\n");
}

int cdr_cmd_check_config(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *path = NULL;
        char errstr[1024];
        cdr_config_t *config = NULL;
        cdr_engine_t *engine = NULL;
        cdr_buf_t out = CDR_BUF_INIT;
        int opt, quiet = 0, rc = CDR_EXIT_FAILURE;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        path = optarg;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        return CDR_EXIT_USAGE;
                }
        }
        if (path == NULL || optind != argc) {
                cdr_cmd_fail(CMD, "%s (try --help)",
                             path == NULL ? "-c FILE is required"
                                          : "unexpected argument");
                return CDR_EXIT_USAGE;
        }
        config = cdr_config_load(path, errstr, sizeof(errstr));
        if (config == NULL)
                goto fail;
        engine = cdr_engine_new(config, config->ncustodian > 0, errstr,
                                sizeof(errstr));
        if (engine == NULL)
                goto fail;
        if (!quiet) {
                if (cdr_config_describe(config, &out) != CDR_OK ||
                    cdr_engine_describe(engine, &out) != CDR_OK) {
                        cdr_errf(errstr, sizeof(errstr), "out of memory");
                        goto fail;
                }
                fwrite(out.data, 1, out.len, stdout);
                printf("active pseudonym key: %s\n", cdr_engine_key_id(engine));
                printf("%s: valid\n", path);
        }
        rc = CDR_EXIT_OK;
        goto out;
fail:
        cdr_cmd_fail(CMD, "%s", errstr);
out:
        cdr_buf_free(&out);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return rc;
}
