/*
 * eos_check: reads a stream-mode run back from a real broker and checks
 * the product's guarantees.  Used by the integration tests.
 *
 *   eos_check lag -b BOOTSTRAP -g GROUP -t TOPIC
 *       prints the group's lag on TOPIC (end offsets minus committed
 *       offsets, summed over the partitions) and exits 0.
 *
 *   eos_check committed -b BOOTSTRAP -g GROUP -t TOPIC
 *       prints the sum of the group's committed offsets on TOPIC (0 for a
 *       partition without one) and exits 0.  It asks the group
 *       coordinator only, not the partitions' leaders, and gives up after
 *       5 s (exit 2), so that a test can watch a group's progress while
 *       leaders move.
 *
 *   eos_check verify -b BOOTSTRAP -c CONFIG -k CUSTODIAN_PRIVATE_KEY
 *                    [--any-key] [--min-key-ids N] [--at-least-once]
 *                    [--scan-file PATH]...
 *       reads the input topic and every output topic of CONFIG (outputs
 *       with isolation.level=read_committed) and checks, for every input
 *       record, against the verdict and output the transform computes for
 *       it here:
 *         - anonymised + suppressed + dead-letter = input, each record in
 *           exactly one of them, exactly once, with the expected value and
 *           key (with --any-key the pseudonyms may come from any key of
 *           the ring: a reload happened during the run); with purposes,
 *           each purpose's topic takes the place of the anonymised one,
 *           and a published record must be on every one of them exactly
 *           once, with that purpose's value and key;
 *         - sealed = input: exactly one sealed copy of every record, which
 *           opens to the record byte for byte and names its source; it
 *           has no key and sits in the partition of the input's number
 *           modulo the sealed topic's partition count (so do dead
 *           letters on theirs);
 *         - per-partition order: on every output partition the records of
 *           each input partition appear in input order;
 *         - no message on any output topic has a header, and no value or
 *           key holds a raw number of the input (any run of nine or more
 *           digits is compared with the last nine digits of every
 *           calling/called number, IMSI and IMEI of the input).
 *       --at-least-once: duplicates are counted, not failures, and the
 *       order check is left out (a replay goes back in the input).
 *       --scan-file: a file (a processor's log) that must not hold a raw
 *       number of the input either.
 *       Prints one summary line; exits 0 when every check holds, 1 when
 *       one fails (with up to 20 lines naming input coordinates only),
 *       2 on a usage or Kafka error.
 *
 *   eos_check count -b BOOTSTRAP -t TOPIC
 *       prints how many messages a read_committed reader gets from TOPIC.
 *
 *   eos_check head -b BOOTSTRAP -t TOPIC [-n N]
 *       prints the first N (default 3) messages of TOPIC that a
 *       read_committed reader gets, partition by partition, one line each:
 *       the key (or "-"), a tab, the value.
 *
 *   eos_check values -b BOOTSTRAP -t TOPIC -o FILE [--csv]
 *       writes the value of every message of TOPIC that a read_committed
 *       reader gets to FILE, each followed by a line feed, partition by
 *       partition; prints how many.  --csv: only the values that file
 *       mode frames as one record (a value that ends inside a quoted
 *       field, which stream mode dead-letters, would take the next lines
 *       with it), and prints "N written, M not one record".
 *
 *   eos_check dup -b BOOTSTRAP -t TOPIC
 *       produces the first message of TOPIC's partition 0 again (value
 *       and key), so that a test can show that verify notices.
 *
 *   eos_check dump -b BOOTSTRAP -t TOPIC -o FILE
 *       writes every message of TOPIC that a read_uncommitted reader gets
 *       (aborted transactions included) to FILE for the leak scan: lines
 *       "K key", "V value", "H name=value" (bytes as they are); prints
 *       "N messages, B bytes".
 *
 *   eos_check produce -b BOOTSTRAP -t TOPIC -f FILE
 *       produces each line of FILE as one message without a key; prints
 *       how many.
 *
 *   Every command also takes -X NAME=VALUE, any number: a librdkafka
 *   property for each client it makes (SASL and TLS settings for a
 *   secured broker, for instance).  A Kafka error, an authorization
 *   refusal included, exits 2 with librdkafka's message.
 */
#include "cdranon/config.h"
#include "cdranon/csv.h"
#include "cdranon/transform.h"
#include "cdranon/unseal.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include <librdkafka/rdkafka.h>

#define READ_TIMEOUT_MS      120000
#define COMMITTED_TIMEOUT_MS 5000
#define MAX_PARTITIONS       256
#define MAX_REPORTS          20
#define DIGITS_WINDOW        9
#define MAX_KEY_IDS          16

#define MAX_PROPS 32

static const char *bootstrap;
static unsigned long failures;
/* The -X properties, "NAME=VALUE" each, from argv. */
static const char *props[MAX_PROPS];
static int nprops;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
        va_list ap;

        if (failures++ >= MAX_REPORTS)
                return;
        fprintf(stderr, "eos_check: FAIL: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "eos_check: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(2);
}

static void add_prop(const char *kv)
{
        if (strchr(kv, '=') == NULL || kv[0] == '=')
                die("-X takes NAME=VALUE");
        if (nprops == MAX_PROPS)
                die("at most %d -X", MAX_PROPS);
        props[nprops++] = kv;
}

/* The options every subcommand takes: -b BOOTSTRAP and -X NAME=VALUE.
 * Returns 1 when `opt` was one of them. */
static int client_opt(int opt)
{
        if (opt == 'b')
                bootstrap = optarg;
        else if (opt == 'X')
                add_prop(optarg);
        else
                return 0;
        return 1;
}

/* Sets the -X properties on conf. */
static void apply_props(rd_kafka_conf_t *conf)
{
        char name[256], errstr[512];
        int i;

        for (i = 0; i < nprops; i++) {
                size_t n = (size_t)(strchr(props[i], '=') - props[i]);

                if (n >= sizeof(name))
                        die("-X: property name too long");
                memcpy(name, props[i], n);
                name[n] = '\0';
                if (rd_kafka_conf_set(conf, name, props[i] + n + 1, errstr,
                                      sizeof(errstr)))
                        die("-X %s: %s", name, errstr);
        }
}

static void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size);

        if (p == NULL)
                die("out of memory");
        return p;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A set of 64-bit keys with a 32-bit value each (open addressing).
 */
typedef struct {
        uint64_t *keys;
        uint32_t *vals;
        unsigned char *used;
        size_t cap, n;
} map_t;

static void map_init(map_t *m, size_t expect)
{
        m->cap = 16;
        while (m->cap < expect * 2 + 16)
                m->cap *= 2;
        m->keys = xcalloc(m->cap, sizeof(*m->keys));
        m->vals = xcalloc(m->cap, sizeof(*m->vals));
        m->used = xcalloc(m->cap, 1);
        m->n = 0;
}

static size_t map_slot(const map_t *m, uint64_t key)
{
        size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull) & (m->cap - 1);

        while (m->used[i] && m->keys[i] != key)
                i = (i + 1) & (m->cap - 1);
        return i;
}

/* Returns 0 when added, 1 when the key was there (value unchanged). */
static int map_put(map_t *m, uint64_t key, uint32_t val)
{
        size_t i;

        if ((m->n + 1) * 2 > m->cap) {
                map_t big;
                size_t j;

                map_init(&big, m->cap);
                for (j = 0; j < m->cap; j++)
                        if (m->used[j])
                                map_put(&big, m->keys[j], m->vals[j]);
                free(m->keys);
                free(m->vals);
                free(m->used);
                *m = big;
        }
        i = map_slot(m, key);
        if (m->used[i])
                return 1;
        m->used[i] = 1;
        m->keys[i] = key;
        m->vals[i] = val;
        m->n++;
        return 0;
}

static int map_get(const map_t *m, uint64_t key, uint32_t *val)
{
        size_t i = map_slot(m, key);

        if (!m->used[i])
                return 0;
        *val = m->vals[i];
        return 1;
}

static void map_free(map_t *m)
{
        free(m->keys);
        free(m->vals);
        free(m->used);
}

/*
 * Kafka reading.
 */

static rd_kafka_t *consumer_new(const char *group, int read_committed)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[512];
        rd_kafka_t *rk;

        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "group.id", group, errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "isolation.level",
                              read_committed ? "read_committed"
                                             : "read_uncommitted",
                              errstr, sizeof(errstr)))
                die("%s", errstr);
        apply_props(conf);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (rk == NULL)
                die("consumer: %s", errstr);
        return rk;
}

static int partition_count(rd_kafka_t *rk, const char *topic)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err;
        int n;

        err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        rd_kafka_topic_destroy(rkt);
        if (err || md->topic_cnt != 1 || md->topics[0].err)
                die("metadata of %s: %s", topic,
                    rd_kafka_err2str(err ? err : md->topics[0].err));
        n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        if (n <= 0 || n > MAX_PARTITIONS)
                die("%s: %d partitions", topic, n);
        return n;
}

static int topic_partitions(const char *topic)
{
        rd_kafka_t *rk = consumer_new("eos-check-reader", 0);
        int n = partition_count(rk, topic);

        rd_kafka_destroy(rk);
        return n;
}

typedef void on_message_fn(void *ctx, const rd_kafka_message_t *m);

/* Reads every partition of `topic` from the beginning to its end offset
 * at the start (the last stable offset with read_committed). */
static int read_topic(const char *topic, int read_committed, on_message_fn *fn,
                      void *ctx, int64_t *lo_out, int64_t *hi_out)
{
        rd_kafka_t *rk = consumer_new("eos-check-reader", read_committed);
        rd_kafka_topic_partition_list_t *asg;
        int64_t lo[MAX_PARTITIONS], hi[MAX_PARTITIONS];
        int done[MAX_PARTITIONS] = {0};
        int n = partition_count(rk, topic), left = 0, i;
        double deadline = now_s() + READ_TIMEOUT_MS / 1000.0;

        asg = rd_kafka_topic_partition_list_new(n);
        for (i = 0; i < n; i++) {
                rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                    rk, topic, i, &lo[i], &hi[i], 10000);
                if (err)
                        die("watermarks of %s [%d]: %s", topic, i,
                            rd_kafka_err2str(err));
                if (lo_out)
                        lo_out[i] = lo[i];
                if (hi_out)
                        hi_out[i] = hi[i];
                if (hi[i] > lo[i]) {
                        rd_kafka_topic_partition_list_add(asg, topic, i)
                            ->offset = RD_KAFKA_OFFSET_BEGINNING;
                        left++;
                } else {
                        done[i] = 1;
                }
        }
        if (rd_kafka_assign(rk, asg))
                die("assign %s", topic);
        rd_kafka_topic_partition_list_destroy(asg);
        while (left > 0) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);

                if (now_s() > deadline)
                        die("%s: not read to its end in %d s", topic,
                            READ_TIMEOUT_MS / 1000);
                if (m == NULL)
                        continue;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (!done[m->partition] &&
                            m->offset >= hi[m->partition]) {
                                done[m->partition] = 1;
                                left--;
                        }
                } else if (m->err) {
                        die("reading %s: %s", topic,
                            rd_kafka_message_errstr(m));
                } else if (m->offset < hi[m->partition]) {
                        fn(ctx, m);
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return n;
}

/*
 * The input and what the transform makes of it.
 */

/* What a published record is expected to be on one anonymised output
 * (the anonymised topic, or one purpose's). */
typedef struct {
        uint64_t h_norm; /* the JSON, pseudonyms masked */
        uint64_t h_exact;
        uint64_t h_key;      /* expected key */
        uint64_t h_key_norm; /* the same, a pseudonym masked */
        uint8_t seen;
} out_t;

typedef struct {
        char *raw;
        uint32_t len;
        uint8_t present;
        uint8_t verdict;
        uint8_t seen_dead, seen_sealed;
        uint64_t h_dead; /* the dead letter */
} rec_t;

typedef struct {
        const cdr_config_t *config;
        cdr_transform_t *transform;
        cdr_unsealer_t *unsealer;
        int any_key;
        int at_least_once;
        uint64_t duplicates;
        int nin;
        int64_t base[MAX_PARTITIONS + 1];
        int64_t lo[MAX_PARTITIONS], hi[MAX_PARTITIONS];
        rec_t *recs;
        size_t nrecs;
        /* the anonymised outputs: 1, or one per purpose; outs[i * nouts
         * + o] is record i's on output o */
        size_t nouts;
        out_t *outs;
        size_t out_now;  /* the output being read */
        map_t *by_value; /* per output: h_norm -> record index */
        map_t by_dead;   /* dead letter -> record index */
        map_t digits;    /* raw numbers' last nine digits */
        int fields[4];   /* columns of the numbers */
        /* order: last input offset per (output partition, input
         * partition); reset for each output topic */
        int64_t *last;
        const char *topic_now;
        int nout_now; /* partitions of topic_now */
        uint64_t count_now;
        uint64_t leaks, headers;
        char key_ids[MAX_KEY_IDS][32];
        int nkey_ids;
        cdr_buf_t norm, plain;
} check_t;

static rec_t *rec_at(check_t *c, int32_t partition, int64_t offset,
                     size_t *index)
{
        size_t i;

        if (partition < 0 || partition >= c->nin || offset < c->lo[partition] ||
            offset >= c->hi[partition])
                return NULL;
        i = (size_t)(c->base[partition] + offset - c->lo[partition]);
        if (!c->recs[i].present)
                return NULL;
        if (index)
                *index = i;
        return &c->recs[i];
}

static void note_key_id(check_t *c, const char *id, size_t n)
{
        int i;

        if (n >= sizeof(c->key_ids[0]))
                return;
        for (i = 0; i < c->nkey_ids; i++)
                if (strlen(c->key_ids[i]) == n &&
                    memcmp(c->key_ids[i], id, n) == 0)
                        return;
        if (c->nkey_ids < MAX_KEY_IDS) {
                memcpy(c->key_ids[c->nkey_ids], id, n);
                c->key_ids[c->nkey_ids++][n] = '\0';
        }
}

/* 1 when s[0..n) is KEY_ID ":" 26 base32 characters: a pseudonym. */
static size_t pseudonym_key_len(const char *s, size_t n)
{
        size_t k = 0, i;

        while (k < n && k <= 16 &&
               (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '-'))
                k++;
        if (k == 0 || k > 16 || k + 1 + 26 != n || s[k] != ':')
                return 0;
        for (i = k + 1; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '2' && s[i] <= '7')))
                        return 0;
        return k;
}

/* The JSON with each pseudonym string replaced by "~" (and its key id
 * noted), so that records pseudonymised under another key compare
 * equal. */
static void normalise(check_t *c, const char *p, size_t n)
{
        size_t i = 0;

        cdr_buf_reset(&c->norm);
        while (i < n) {
                const char *q;
                size_t len, k;

                if (p[i] != '"') {
                        if (cdr_buf_putc(&c->norm, p[i++]) != CDR_OK)
                                die("out of memory");
                        continue;
                }
                q = memchr(p + i + 1, '"', n - i - 1);
                if (q == NULL)
                        q = p + n;
                len = (size_t)(q - (p + i + 1));
                k = pseudonym_key_len(p + i + 1, len);
                if (k > 0) {
                        note_key_id(c, p + i + 1, k);
                        if (cdr_buf_puts(&c->norm, "\"~") != CDR_OK)
                                die("out of memory");
                } else if (cdr_buf_append(&c->norm, p + i, len + 1) != CDR_OK) {
                        die("out of memory");
                }
                i += len + 1;
        }
}

static uint64_t hash(const void *p, size_t n)
{
        return XXH3_64bits(p, n);
}

/* A key's hash, a pseudonym counting as "~" (any key id, any key). */
static uint64_t key_norm(const void *key, size_t n)
{
        if (key != NULL && pseudonym_key_len(key, n) > 0)
                return hash("~", 1);
        return hash(key, key ? n : 0);
}

/* Digit runs of nine or more compared with the input's numbers. */
static void scan_digits(check_t *c, const char *p, size_t n, const char *what,
                        const char *topic)
{
        size_t i = 0;

        while (i < n) {
                size_t j = i, k;

                while (j < n && p[j] >= '0' && p[j] <= '9')
                        j++;
                for (k = i; j - i >= DIGITS_WINDOW && k + DIGITS_WINDOW <= j;
                     k++) {
                        uint64_t v = 0;
                        uint32_t dummy;
                        size_t d;

                        for (d = 0; d < DIGITS_WINDOW; d++)
                                v = v * 10 + (uint64_t)(p[k + d] - '0');
                        if (map_get(&c->digits, v, &dummy)) {
                                c->leaks++;
                                fail("%s: a message %s holds a raw number of "
                                     "the input",
                                     topic, what);
                                break;
                        }
                }
                i = j + 1;
        }
}

static void scan_file(check_t *c, const char *path)
{
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;

        if (f == NULL)
                die("%s: cannot open", path);
        while ((n = getline(&line, &cap, f)) > 0)
                scan_digits(c, line, (size_t)n, "line", path);
        free(line);
        fclose(f);
}

static void scan_message(check_t *c, const rd_kafka_message_t *m)
{
        rd_kafka_headers_t *hdrs = NULL;

        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_cnt(hdrs) > 0) {
                c->headers++;
                fail("%s [%d] offset %lld: has headers", c->topic_now,
                     (int)m->partition, (long long)m->offset);
        }
        if (m->payload)
                scan_digits(c, m->payload, m->len, "value", c->topic_now);
        if (m->key)
                scan_digits(c, m->key, m->key_len, "key", c->topic_now);
}

/* The input's numbers: the fields named calling_number, called_number,
 * imsi and imei, split naively on commas (malformed records included). */
static void note_raw_numbers(check_t *c, const char *p, size_t n)
{
        int field = 0, f;
        size_t i = 0;

        while (i <= n) {
                size_t j = i;
                char digits[64];
                size_t nd = 0;

                while (j < n && p[j] != ',')
                        j++;
                for (f = 0; f < 4; f++)
                        if (c->fields[f] == field)
                                break;
                if (f < 4) {
                        size_t k;

                        for (k = i; k < j && nd < sizeof(digits); k++)
                                if (p[k] >= '0' && p[k] <= '9')
                                        digits[nd++] = p[k];
                        /* The last nine digits, and those of the first
                         * fourteen (an IMEI's canonical form). */
                        for (k = 0; k < 2; k++) {
                                size_t end = k == 0 ? nd : 14;
                                uint64_t v = 0;
                                size_t d;

                                if (end > nd || end < DIGITS_WINDOW)
                                        continue;
                                for (d = end - DIGITS_WINDOW; d < end; d++)
                                        v = v * 10 +
                                            (uint64_t)(digits[d] - '0');
                                map_put(&c->digits, v, 0);
                        }
                }
                field++;
                i = j + 1;
        }
}

static void on_raw(void *ctx, const rd_kafka_message_t *m)
{
        check_t *c = ctx;
        rec_t *r;
        size_t i;

        i = (size_t)(c->base[m->partition] + m->offset - c->lo[m->partition]);
        r = &c->recs[i];
        r->present = 1;
        r->len = (uint32_t)m->len;
        r->raw = xcalloc(m->len + 1, 1);
        memcpy(r->raw, m->payload, m->len);
        note_raw_numbers(c, r->raw, r->len);
}

static void expect_all(check_t *c, const char *topic)
{
        char errstr[512];
        size_t i, k;
        int p;

        for (p = 0; p < c->nin; p++) {
                int64_t o;

                for (o = c->lo[p]; o < c->hi[p]; o++) {
                        cdr_source_t source = {0};
                        cdr_result_t res;
                        rec_t *r = rec_at(c, p, o, &i);

                        if (r == NULL)
                                continue;
                        source.topic = topic;
                        source.partition = p;
                        source.offset = o;
                        if (cdr_transform_record(c->transform, r->raw, r->len,
                                                 &source, &res, errstr,
                                                 sizeof(errstr)) != CDR_OK)
                                die("transform: %s", errstr);
                        r->verdict = (uint8_t)res.verdict;
                        if (res.verdict == CDR_VERDICT_DEAD) {
                                r->h_dead =
                                    hash(res.dead_letter.p, res.dead_letter.n);
                                if (map_put(&c->by_dead, r->h_dead,
                                            (uint32_t)i))
                                        fail("input %d/%lld: its expected "
                                             "dead letter is not unique",
                                             p, (long long)o);
                                continue;
                        }
                        if (res.verdict != CDR_VERDICT_PUBLISH)
                                continue;
                        for (k = 0; k < c->nouts; k++) {
                                out_t *out = &c->outs[i * c->nouts + k];
                                cdr_view_t v = res.anonymised, key = res.key;

                                if (res.npurposes > 0) {
                                        v = res.purposes[k].anonymised;
                                        key = res.purposes[k].key;
                                }
                                normalise(c, v.p, v.n);
                                out->h_norm = hash(c->norm.data, c->norm.len);
                                out->h_exact = hash(v.p, v.n);
                                out->h_key = hash(key.p, key.n);
                                out->h_key_norm = key_norm(key.p, key.n);
                                if (map_put(&c->by_value[k], out->h_norm,
                                            (uint32_t)i))
                                        fail("input %d/%lld: its expected "
                                             "output is not unique (test "
                                             "corpus)",
                                             p, (long long)o);
                        }
                }
        }
        /* The key ids seen so far came from the expected outputs. */
        c->nkey_ids = 0;
}

/* Counts a duplicate; 1 when it is a failure (exactly once). */
static int duplicate(check_t *c)
{
        c->duplicates++;
        return !c->at_least_once;
}

/* Output partition op, record of input partition ip at offset io: the
 * input offsets of each input partition must rise. */
static void check_order(check_t *c, int32_t op, int32_t ip, int64_t io)
{
        int64_t *last = &c->last[(size_t)op * (size_t)c->nin + (size_t)ip];

        if (c->at_least_once)
                return;
        if (io <= *last)
                fail("%s [%d]: input %d/%lld after input %d/%lld: order "
                     "broken",
                     c->topic_now, (int)op, (int)ip, (long long)io, (int)ip,
                     (long long)*last);
        else
                *last = io;
}

static void reset_order(check_t *c, int nout)
{
        size_t i, n = (size_t)nout * (size_t)c->nin;

        free(c->last);
        c->last = xcalloc(n, sizeof(*c->last));
        for (i = 0; i < n; i++)
                c->last[i] = -1;
}

static void on_anonymised(void *ctx, const rd_kafka_message_t *m)
{
        check_t *c = ctx;
        uint32_t idx;
        out_t *r;
        int32_t ip;
        int64_t io;

        c->count_now++;
        scan_message(c, m);
        normalise(c, m->payload, m->len);
        if (!map_get(&c->by_value[c->out_now], hash(c->norm.data, c->norm.len),
                     &idx) ||
            c->recs[idx].verdict != CDR_VERDICT_PUBLISH) {
                fail("%s [%d] offset %lld: matches no input record",
                     c->topic_now, (int)m->partition, (long long)m->offset);
                return;
        }
        r = &c->outs[(size_t)idx * c->nouts + c->out_now];
        for (ip = 0; (size_t)c->base[ip + 1] <= idx; ip++)
                ;
        io = c->lo[ip] + (int64_t)idx - c->base[ip];
        if (r->seen++ > 0 && duplicate(c))
                fail("input %d/%lld: more than once on %s", (int)ip,
                     (long long)io, c->topic_now);
        if (!c->any_key && (hash(m->payload, m->len) != r->h_exact ||
                            hash(m->key, m->key_len) != r->h_key))
                fail("input %d/%lld: anonymised value or key differs from "
                     "the transform's",
                     (int)ip, (long long)io);
        if (key_norm(m->key, m->key_len) != r->h_key_norm)
                fail("input %d/%lld: anonymised key differs from the "
                     "transform's",
                     (int)ip, (long long)io);
        check_order(c, m->partition, ip, io);
}

static void on_dead(void *ctx, const rd_kafka_message_t *m)
{
        check_t *c = ctx;
        uint32_t idx;
        rec_t *r;
        int32_t ip;
        int64_t io;

        c->count_now++;
        scan_message(c, m);
        if (m->key != NULL)
                fail("%s [%d] offset %lld: dead letter has a key", c->topic_now,
                     (int)m->partition, (long long)m->offset);
        if (!map_get(&c->by_dead, hash(m->payload, m->len), &idx) ||
            c->recs[idx].verdict != CDR_VERDICT_DEAD) {
                fail("%s [%d] offset %lld: matches no input record",
                     c->topic_now, (int)m->partition, (long long)m->offset);
                return;
        }
        r = &c->recs[idx];
        for (ip = 0; (size_t)c->base[ip + 1] <= idx; ip++)
                ;
        io = c->lo[ip] + (int64_t)idx - c->base[ip];
        if (m->partition != ip % c->nout_now)
                fail("input %d/%lld: dead letter in partition %d, not %d",
                     (int)ip, (long long)io, (int)m->partition,
                     ip % c->nout_now);
        if (r->seen_dead++ > 0 && duplicate(c))
                fail("input %d/%lld: dead-lettered more than once", (int)ip,
                     (long long)io);
        check_order(c, m->partition, ip, io);
}

static void on_sealed(void *ctx, const rd_kafka_message_t *m)
{
        check_t *c = ctx;
        cdr_sealed_meta_t meta;
        char errstr[512];
        rec_t *r;

        c->count_now++;
        scan_message(c, m);
        if (cdr_unsealer_open(c->unsealer, m->payload, m->len, &c->plain, &meta,
                              errstr, sizeof(errstr)) != CDR_OK) {
                fail("%s [%d] offset %lld: does not open: %s", c->topic_now,
                     (int)m->partition, (long long)m->offset, errstr);
                return;
        }
        if (meta.source.topic == NULL ||
            strcmp(meta.source.topic, c->config->input_topic) != 0 ||
            (r = rec_at(c, meta.source.partition, meta.source.offset, NULL)) ==
                NULL) {
                fail("%s [%d] offset %lld: names no input record", c->topic_now,
                     (int)m->partition, (long long)m->offset);
                return;
        }
        if (r->seen_sealed++ > 0 && duplicate(c))
                fail("input %d/%lld: sealed more than once",
                     (int)meta.source.partition, (long long)meta.source.offset);
        if (c->plain.len != r->len || memcmp(c->plain.data, r->raw, r->len))
                fail("input %d/%lld: sealed copy differs from the input",
                     (int)meta.source.partition, (long long)meta.source.offset);
        if (m->key != NULL)
                fail("input %d/%lld: sealed copy has a key",
                     (int)meta.source.partition, (long long)meta.source.offset);
        if (m->partition != meta.source.partition % c->nout_now)
                fail("input %d/%lld: sealed copy in partition %d, not %d",
                     (int)meta.source.partition, (long long)meta.source.offset,
                     (int)m->partition,
                     (int)(meta.source.partition % c->nout_now));
        check_order(c, m->partition, meta.source.partition, meta.source.offset);
}

static int cmd_verify(int argc, char **argv)
{
        static const struct option opts[] = {
            {"any-key", no_argument, NULL, 'a'},
            {"min-key-ids", required_argument, NULL, 'n'},
            {"at-least-once", no_argument, NULL, 'l'},
            {"scan-file", required_argument, NULL, 's'},
            {NULL, 0, NULL, 0},
        };
        const char *config_path = NULL, *key_path = NULL;
        const char *scan[8];
        int nscan = 0;
        char errstr[512];
        cdr_config_t *config;
        cdr_engine_t *engine;
        check_t c;
        uint64_t expect[3] = {0}, missing = 0, n_dead, n_sealed;
        uint64_t *n_anon;
        int opt, p, nout, min_key_ids = 0, i, counts_ok;
        size_t r, out;

        memset(&c, 0, sizeof(c));
        while ((opt = getopt_long(argc, argv, "b:c:k:X:", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'k':
                        key_path = optarg;
                        break;
                case 'a':
                        c.any_key = 1;
                        break;
                case 'n':
                        min_key_ids = atoi(optarg);
                        break;
                case 'l':
                        c.at_least_once = 1;
                        break;
                case 's':
                        if (nscan == 8)
                                die("at most 8 --scan-file");
                        scan[nscan++] = optarg;
                        break;
                default:
                        if (client_opt(opt))
                                break;
                        die("usage: verify -b BOOTSTRAP -c CONFIG -k KEY "
                            "[--any-key] [--min-key-ids N]");
                }
        }
        if (!bootstrap || !config_path || !key_path)
                die("verify needs -b, -c and -k");
        config = cdr_config_load(config_path, errstr, sizeof(errstr));
        if (config == NULL)
                die("%s", errstr);
        c.config = config;
        engine = cdr_engine_new(config, 0, errstr, sizeof(errstr));
        if (engine == NULL)
                die("%s", errstr);
        c.transform = cdr_transform_new(engine, errstr, sizeof(errstr));
        c.unsealer = cdr_unsealer_new();
        if (c.transform == NULL || c.unsealer == NULL)
                die("%s", errstr);
        if (cdr_unsealer_add_key_file(c.unsealer, key_path, errstr,
                                      sizeof(errstr)) != CDR_OK)
                die("%s", errstr);
        for (i = 0; i < 4; i++)
                c.fields[i] = -1;
        for (r = 0; r < config->ncolumns; r++) {
                static const char *const names[4] = {
                    "calling_number", "called_number", "imsi", "imei"};

                for (i = 0; i < 4; i++)
                        if (strcmp(config->columns[r], names[i]) == 0)
                                c.fields[i] = (int)r;
        }

        /* The input: its partitions' offset ranges first. */
        {
                rd_kafka_t *rk = consumer_new("eos-check-reader", 0);

                c.nin = partition_count(rk, config->input_topic);
                for (p = 0; p < c.nin; p++)
                        if (rd_kafka_query_watermark_offsets(
                                rk, config->input_topic, p, &c.lo[p], &c.hi[p],
                                10000))
                                die("watermarks of the input");
                rd_kafka_destroy(rk);
        }
        c.base[0] = 0;
        for (p = 0; p < c.nin; p++)
                c.base[p + 1] = c.base[p] + (c.hi[p] - c.lo[p]);
        c.nrecs = (size_t)c.base[c.nin];
        c.recs = xcalloc(c.nrecs, sizeof(*c.recs));
        c.nouts = config->npurposes > 0 ? config->npurposes : 1;
        c.outs = xcalloc(c.nrecs * c.nouts, sizeof(*c.outs));
        c.by_value = xcalloc(c.nouts, sizeof(*c.by_value));
        n_anon = xcalloc(c.nouts, sizeof(*n_anon));
        for (out = 0; out < c.nouts; out++)
                map_init(&c.by_value[out], c.nrecs);
        map_init(&c.by_dead, c.nrecs);
        map_init(&c.digits, c.nrecs * 4);
        c.topic_now = config->input_topic;
        read_topic(config->input_topic, 0, on_raw, &c, NULL, NULL);
        expect_all(&c, config->input_topic);
        for (r = 0; r < c.nrecs; r++)
                if (c.recs[r].present)
                        expect[c.recs[r].verdict]++;

        for (out = 0; out < c.nouts; out++) {
                c.topic_now = config->npurposes > 0
                                  ? config->purposes[out].topic
                                  : config->anonymised_topic;
                c.out_now = out;
                nout = topic_partitions(c.topic_now);
                reset_order(&c, nout);
                c.nout_now = nout;
                c.count_now = 0;
                read_topic(c.topic_now, 1, on_anonymised, &c, NULL, NULL);
                n_anon[out] = c.count_now;
        }

        c.topic_now = config->dead_letter_topic;
        nout = topic_partitions(config->dead_letter_topic);
        reset_order(&c, nout);
        c.nout_now = nout;
        c.count_now = 0;
        read_topic(config->dead_letter_topic, 1, on_dead, &c, NULL, NULL);
        n_dead = c.count_now;

        c.topic_now = config->sealed_topic;
        nout = topic_partitions(config->sealed_topic);
        reset_order(&c, nout);
        c.nout_now = nout;
        c.count_now = 0;
        read_topic(config->sealed_topic, 1, on_sealed, &c, NULL, NULL);
        n_sealed = c.count_now;

        for (p = 0; p < c.nin; p++) {
                int64_t o;

                for (o = c.lo[p]; o < c.hi[p]; o++) {
                        size_t idx;
                        rec_t *rec = rec_at(&c, p, o, &idx);
                        int unseen = 0;

                        if (rec == NULL)
                                continue;
                        for (r = 0;
                             rec->verdict == CDR_VERDICT_PUBLISH && r < c.nouts;
                             r++)
                                unseen |= c.outs[idx * c.nouts + r].seen == 0;
                        if (rec->seen_sealed == 0 || unseen ||
                            (rec->verdict == CDR_VERDICT_DEAD &&
                             rec->seen_dead == 0)) {
                                missing++;
                                fail("input %d/%lld: lost (%s)", p,
                                     (long long)o,
                                     rec->seen_sealed ? "no output"
                                                      : "no sealed copy");
                        }
                }
        }
        for (i = 0; i < nscan; i++)
                scan_file(&c, scan[i]);
        counts_ok = n_dead == expect[CDR_VERDICT_DEAD] && n_sealed == c.nrecs;
        for (out = 0; out < c.nouts; out++)
                counts_ok &= n_anon[out] == expect[CDR_VERDICT_PUBLISH];
        if (!c.at_least_once && !counts_ok)
                fail("counts: anonymised %" PRIu64 " (expected %" PRIu64
                     " on each of %zu), dead-letter %" PRIu64
                     " (expected %" PRIu64 "), sealed %" PRIu64
                     " (expected %zu)",
                     n_anon[0], expect[CDR_VERDICT_PUBLISH], c.nouts, n_dead,
                     expect[CDR_VERDICT_DEAD], n_sealed, c.nrecs);
        if (c.nkey_ids < min_key_ids)
                fail("%d pseudonym key id(s) on the anonymised topic, "
                     "expected at least %d",
                     c.nkey_ids, min_key_ids);
        if (c.nrecs == 0)
                fail("the input topic is empty");

        printf("eos_check: input %zu = anonymised %" PRIu64
               " + suppressed %" PRIu64 " + dead-letter %" PRIu64,
               c.nrecs, n_anon[0], expect[CDR_VERDICT_SUPPRESS], n_dead);
        for (out = 0; config->npurposes > 0 && out < c.nouts; out++)
                printf("%s%s %" PRIu64, out == 0 ? "; purposes " : ", ",
                       config->purposes[out].name, n_anon[out]);
        printf("; sealed %" PRIu64 "; lost %" PRIu64 "; duplicates %" PRIu64
               "; raw numbers on outputs %" PRIu64 "; headers %" PRIu64
               "; key ids %d; %s\n",
               n_sealed, missing, c.duplicates, c.leaks, c.headers, c.nkey_ids,
               failures ? "FAILED" : "ok");

        for (r = 0; r < c.nrecs; r++)
                free(c.recs[r].raw);
        free(c.recs);
        free(c.last);
        for (out = 0; out < c.nouts; out++)
                map_free(&c.by_value[out]);
        free(c.by_value);
        free(c.outs);
        free(n_anon);
        map_free(&c.by_dead);
        map_free(&c.digits);
        cdr_buf_free(&c.norm);
        cdr_buf_free(&c.plain);
        cdr_unsealer_destroy(c.unsealer);
        cdr_transform_destroy(c.transform);
        cdr_engine_destroy(engine);
        cdr_config_destroy(config);
        return failures ? 1 : 0;
}

/* The -g GROUP -t TOPIC options (and the client's) of lag and committed;
 * returns a consumer of GROUP and TOPIC's partitions with the group's
 * committed offsets, each waiting at most timeout_ms.  Dies on error; the
 * caller destroys both. */
static rd_kafka_t *group_offsets(int argc, char **argv, const char *cmd,
                                 int timeout_ms, const char **topic,
                                 rd_kafka_topic_partition_list_t **parts)
{
        const char *group = NULL;
        rd_kafka_t *rk;
        int opt, n, i;

        *topic = NULL;
        while ((opt = getopt(argc, argv, "b:g:t:X:")) != -1) {
                switch (opt) {
                case 'g':
                        group = optarg;
                        break;
                case 't':
                        *topic = optarg;
                        break;
                default:
                        if (client_opt(opt))
                                break;
                        die("usage: %s -b BOOTSTRAP -g GROUP -t TOPIC", cmd);
                }
        }
        if (!bootstrap || !group || !*topic)
                die("%s needs -b, -g and -t", cmd);
        /* read_uncommitted: the committed offsets of finished
         * transactions, without waiting for open ones. */
        rk = consumer_new(group, 0);
        n = partition_count(rk, *topic);
        *parts = rd_kafka_topic_partition_list_new(n);
        for (i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(*parts, *topic, i);
        if (rd_kafka_committed(rk, *parts, timeout_ms))
                die("committed offsets of group %s", group);
        return rk;
}

static int cmd_lag(int argc, char **argv)
{
        const char *topic;
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_t *rk;
        int64_t lag = 0;
        int i;

        rk = group_offsets(argc, argv, "lag", 10000, &topic, &parts);
        for (i = 0; i < parts->cnt; i++) {
                int64_t lo, hi, at = parts->elems[i].offset;

                if (rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &hi,
                                                     10000))
                        die("watermarks of %s", topic);
                lag += hi - (at < lo ? lo : at);
        }
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_destroy(rk);
        printf("%lld\n", (long long)lag);
        return 0;
}

static int cmd_committed(int argc, char **argv)
{
        const char *topic;
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_t *rk;
        int64_t sum = 0;
        int i;

        rk = group_offsets(argc, argv, "committed", COMMITTED_TIMEOUT_MS,
                           &topic, &parts);
        for (i = 0; i < parts->cnt; i++) {
                if (parts->elems[i].err)
                        die("committed offset of %s [%d]: %s", topic, i,
                            rd_kafka_err2str(parts->elems[i].err));
                if (parts->elems[i].offset > 0)
                        sum += parts->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_destroy(rk);
        printf("%lld\n", (long long)sum);
        return 0;
}

struct head {
        long left;
        uint64_t count;
        FILE *values; /* values: the file, else head or count */
        int csv;      /* values --csv */
        uint64_t unframed;
        cdr_buf_t line;
};

static void on_head(void *ctx, const rd_kafka_message_t *m)
{
        struct head *h = ctx;

        h->count++;
        if (h->values != NULL && h->csv) {
                size_t lines;

                cdr_buf_reset(&h->line);
                if (cdr_buf_append(&h->line, m->payload ? m->payload : "",
                                   m->len) != CDR_OK ||
                    cdr_buf_putc(&h->line, '\n') != CDR_OK)
                        die("out of memory");
                if (cdr_csv_frame(',', h->line.data, h->line.len, 0, &lines) !=
                    h->line.len) {
                        h->unframed++;
                        return;
                }
        }
        if (h->values != NULL) {
                if (fwrite(m->payload, 1, m->len, h->values) != m->len ||
                    putc('\n', h->values) == EOF)
                        die("values: write failed");
                return;
        }
        if (h->left <= 0)
                return;
        h->left--;
        if (m->key != NULL)
                fwrite(m->key, 1, m->key_len, stdout);
        else
                putchar('-');
        putchar('\t');
        fwrite(m->payload, 1, m->len, stdout);
        putchar('\n');
}

/* count, head (head = 1) and values (head = 2). */
static int cmd_read(int argc, char **argv, int head)
{
        static const struct option opts[] = {
            {"csv", no_argument, NULL, 'C'},
            {NULL, 0, NULL, 0},
        };
        struct head h = {0, 0, NULL, 0, 0, CDR_BUF_INIT};
        const char *topic = NULL, *path = NULL;
        int opt;

        h.left = head ? 3 : 0;
        while ((opt = getopt_long(argc, argv, "b:t:n:o:X:", opts, NULL)) !=
               -1) {
                switch (opt) {
                case 'C':
                        h.csv = 1;
                        break;
                case 't':
                        topic = optarg;
                        break;
                case 'o':
                        path = optarg;
                        break;
                case 'n':
                        h.left = head ? atol(optarg) : 0;
                        break;
                default:
                        if (client_opt(opt))
                                break;
                        die("usage: count|head -b BOOTSTRAP -t TOPIC [-n N]");
                }
        }
        if (!bootstrap || !topic || (head == 2) != (path != NULL))
                die("count and head need -b and -t, values -o too");
        if (path != NULL && (h.values = fopen(path, "wb")) == NULL)
                die("%s: cannot create", path);
        read_topic(topic, 1, on_head, &h, NULL, NULL);
        if (h.values != NULL && fclose(h.values) != 0)
                die("%s: write failed", path);
        if (h.csv)
                printf("%" PRIu64 " written, %" PRIu64 " not one record\n",
                       h.count - h.unframed, h.unframed);
        else if (head != 1)
                printf("%" PRIu64 "\n", h.count);
        cdr_buf_free(&h.line);
        return 0;
}

static int cmd_dup(int argc, char **argv)
{
        const char *topic = NULL;
        rd_kafka_topic_partition_list_t *asg;
        rd_kafka_conf_t *conf;
        rd_kafka_message_t *m = NULL;
        rd_kafka_t *rk, *prod;
        char errstr[512];
        int opt, i;

        while ((opt = getopt(argc, argv, "b:t:X:")) != -1) {
                switch (opt) {
                case 't':
                        topic = optarg;
                        break;
                default:
                        if (client_opt(opt))
                                break;
                        die("usage: dup -b BOOTSTRAP -t TOPIC");
                }
        }
        if (!bootstrap || !topic)
                die("dup needs -b and -t");
        rk = consumer_new("eos-check-reader", 1);
        asg = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(asg, topic, 0)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, asg);
        rd_kafka_topic_partition_list_destroy(asg);
        for (i = 0; i < 100 && m == NULL; i++) {
                m = rd_kafka_consumer_poll(rk, 100);
                if (m != NULL && m->err) {
                        rd_kafka_message_destroy(m);
                        m = NULL;
                }
        }
        if (m == NULL)
                die("%s [0]: no message", topic);
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                              sizeof(errstr)))
                die("%s", errstr);
        apply_props(conf);
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (prod == NULL)
                die("producer: %s", errstr);
        if (rd_kafka_producev(
                prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(m->payload, m->len),
                RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_END) ||
            rd_kafka_flush(prod, 10000))
                die("%s: producing the duplicate failed", topic);
        rd_kafka_message_destroy(m);
        rd_kafka_destroy(prod);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
}

/* dump: every message of a topic as a read_uncommitted reader gets it
 * (the records of aborted transactions included), for the leak scan:
 * "K " key, "V " value, "H " name "=" value per header, each line ended
 * by a newline.  Binary values are written as they are. */
struct dump {
        FILE *out;
        uint64_t messages;
        uint64_t bytes;
};

static void on_dump(void *ctx, const rd_kafka_message_t *m)
{
        struct dump *d = ctx;
        rd_kafka_headers_t *hdrs = NULL;
        const char *name;
        const void *val;
        size_t vlen, i;

        d->messages++;
        fputs("K ", d->out);
        if (m->key != NULL)
                fwrite(m->key, 1, m->key_len, d->out);
        fputs("\nV ", d->out);
        fwrite(m->payload, 1, m->len, d->out);
        fputc('\n', d->out);
        d->bytes += m->key_len + m->len;
        if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return;
        for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR;
             i++) {
                fprintf(d->out, "H %s=", name);
                if (val != NULL)
                        fwrite(val, 1, vlen, d->out);
                fputc('\n', d->out);
                d->bytes += strlen(name) + vlen;
        }
}

static int cmd_dump(int argc, char **argv)
{
        struct dump d = {NULL, 0, 0};
        const char *topic = NULL, *path = NULL;
        int opt;

        while ((opt = getopt(argc, argv, "b:t:o:X:")) != -1) {
                switch (opt) {
                case 't':
                        topic = optarg;
                        break;
                case 'o':
                        path = optarg;
                        break;
                default:
                        if (client_opt(opt))
                                break;
                        die("usage: dump -b BOOTSTRAP -t TOPIC -o FILE");
                }
        }
        if (!bootstrap || !topic || !path)
                die("dump needs -b, -t and -o");
        d.out = fopen(path, "wb");
        if (d.out == NULL)
                die("%s: cannot create", path);
        read_topic(topic, 0, on_dump, &d, NULL, NULL);
        if (fclose(d.out) != 0)
                die("%s: write error", path);
        printf("%" PRIu64 " messages, %" PRIu64 " bytes\n", d.messages,
               d.bytes);
        return 0;
}

/* produce: each line of FILE (without its line end) as one message, no
 * key, to TOPIC; the partitioner spreads them. */
static int cmd_produce(int argc, char **argv)
{
        const char *topic = NULL, *path = NULL;
        rd_kafka_conf_t *conf;
        rd_kafka_t *prod;
        char errstr[512], *line = NULL;
        size_t cap = 0;
        ssize_t n;
        uint64_t count = 0;
        FILE *in;
        int opt;

        while ((opt = getopt(argc, argv, "b:t:f:X:")) != -1) {
                switch (opt) {
                case 't':
                        topic = optarg;
                        break;
                case 'f':
                        path = optarg;
                        break;
                default:
                        if (client_opt(opt))
                                break;
                        die("usage: produce -b BOOTSTRAP -t TOPIC -f FILE");
                }
        }
        if (!bootstrap || !topic || !path)
                die("produce needs -b, -t and -f");
        in = fopen(path, "rb");
        if (in == NULL)
                die("%s: cannot open", path);
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                              sizeof(errstr)))
                die("%s", errstr);
        apply_props(conf);
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (prod == NULL)
                die("producer: %s", errstr);
        while ((n = getline(&line, &cap, in)) > 0) {
                if (line[n - 1] == '\n')
                        n--;
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                while (rd_kafka_producev(
                           prod, RD_KAFKA_V_TOPIC(topic),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_VALUE(line, (size_t)n),
                           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(prod, 100);
                count++;
        }
        free(line);
        fclose(in);
        if (rd_kafka_flush(prod, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
                die("%s: producing failed", topic);
        rd_kafka_destroy(prod);
        printf("%" PRIu64 "\n", count);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "dump") == 0)
                return cmd_dump(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "produce") == 0)
                return cmd_produce(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "count") == 0)
                return cmd_read(argc - 1, argv + 1, 0);
        if (argc >= 2 && strcmp(argv[1], "head") == 0)
                return cmd_read(argc - 1, argv + 1, 1);
        if (argc >= 2 && strcmp(argv[1], "values") == 0)
                return cmd_read(argc - 1, argv + 1, 2);
        if (argc >= 2 && strcmp(argv[1], "dup") == 0)
                return cmd_dup(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "lag") == 0)
                return cmd_lag(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "committed") == 0)
                return cmd_committed(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "verify") == 0)
                return cmd_verify(argc - 1, argv + 1);
        fprintf(stderr, "usage: eos_check lag|committed|verify|count|head|"
                        "values|dup|dump|produce ... (see the source)\n");
        return 2;
}
