/*
 * cdranon keygen hmac | custodian: create key material.
 */
#include "cmd.h"
#include "cdranon/pseudonym.h"
#include "cdranon/keyfile.h"
#include "cdranon/unseal.h"

#include <getopt.h>
#include <string.h>

static const char *const CMD = "keygen";

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: cdranon keygen hmac --out FILE [--id ID]\n"
            "       cdranon keygen custodian --private FILE --public FILE\n"
            "\n"
            "hmac: appends a new random 32-byte pseudonymisation key to the\n"
            "key ring FILE (created with mode 0600; a file readable by group\n"
            "or others is refused).  The new key becomes the active one: the\n"
            "last key of the ring is used for new pseudonyms.  ID is\n"
            "[A-Za-z0-9_-]{1,16}; the default is kYYYYMMDD.\n"
            "\n"
            "custodian: creates the lawful-retention custodian's X25519 key\n"
            "pair: the private key as PEM PKCS#8 (mode 0600, never on the\n"
            "processor host) and the public key as PEM SubjectPublicKeyInfo\n"
            "(for keys.custodian_public).  Neither file may exist already.\n"
            "\n"
            "  -o, --out FILE      hmac: the key ring to append to\n"
            "      --id ID         hmac: the new key's id\n"
            "      --private FILE  custodian: private key output\n"
            "      --public FILE   custodian: public key output\n"
            "  -h, --help          this help\n");
}

int cdr_cmd_keygen(int argc, char **argv)
{
        enum { OPT_ID = 256, OPT_PRIVATE, OPT_PUBLIC };
        static const struct option opts[] = {
            {"out", required_argument, NULL, 'o'},
            {"id", required_argument, NULL, OPT_ID},
            {"private", required_argument, NULL, OPT_PRIVATE},
            {"public", required_argument, NULL, OPT_PUBLIC},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *out = NULL, *id = NULL, *priv = NULL, *pub = NULL;
        const char *what;
        char errstr[1024], new_id[CDR_KEY_ID_MAX + 1];
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'o':
                        out = optarg;
                        break;
                case OPT_ID:
                        id = optarg;
                        break;
                case OPT_PRIVATE:
                        priv = optarg;
                        break;
                case OPT_PUBLIC:
                        pub = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CDR_EXIT_OK;
                default:
                        usage(stderr);
                        return CDR_EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                cdr_cmd_fail(CMD, "say 'hmac' or 'custodian' (try --help)");
                return CDR_EXIT_USAGE;
        }
        what = argv[optind];
        if (!strcmp(what, "hmac")) {
                if (out == NULL || priv != NULL || pub != NULL) {
                        cdr_cmd_fail(CMD, "hmac: needs --out FILE and only "
                                          "--id besides (try --help)");
                        return CDR_EXIT_USAGE;
                }
                if (cdr_keyring_append_new(out, id, new_id, errstr,
                                           sizeof(errstr)) != CDR_OK) {
                        cdr_cmd_fail(CMD, "%s", errstr);
                        return CDR_EXIT_FAILURE;
                }
                fprintf(stderr,
                        "cdranon keygen: appended key '%s' to %s (now the "
                        "active key)\n",
                        new_id, out);
                return CDR_EXIT_OK;
        }
        if (!strcmp(what, "custodian")) {
                if (priv == NULL || pub == NULL || out != NULL || id != NULL) {
                        cdr_cmd_fail(CMD, "custodian: needs --private FILE "
                                          "--public FILE (try --help)");
                        return CDR_EXIT_USAGE;
                }
                if (cdr_custodian_keygen(priv, pub, errstr, sizeof(errstr)) !=
                    CDR_OK) {
                        cdr_cmd_fail(CMD, "%s", errstr);
                        return CDR_EXIT_FAILURE;
                }
                fprintf(stderr,
                        "cdranon keygen: wrote custodian private key %s "
                        "(keep it off the processor host) and public key "
                        "%s\n",
                        priv, pub);
                return CDR_EXIT_OK;
        }
        cdr_cmd_fail(CMD, "unknown key type '%s': say 'hmac' or 'custodian'",
                     what);
        return CDR_EXIT_USAGE;
}
