/*
 * kbench: the measuring side of bench/broker.sh.  It feeds the input topic,
 * watches a processor's consumer group and process, and measures latency
 * from input to committed output, so that every processor (cdranon, the
 * passthrough, the peers) is measured by the same program in the same way.
 *
 *   kbench load     -b BOOT -t TOPIC -i FILE [-n N] [--skip-header]
 *   kbench progress -b BOOT -t TOPIC -g GROUP -p PID [--broker-pid PID]
 *                   [-n RECORDS] [--skip SHARE] [--interval-ms MS]
 *                   [--timeout-s S] [--rss-log FILE]
 *   kbench latency  -b BOOT -t TOPIC -o OUT -i FILE -r RATE -d SECONDS
 *                   [--warmup-s S] [--skip-header] [--cdf FILE]
 *   kbench count    -b BOOT -t TOPIC [--ids]
 *   kbench wait-group -b BOOT -g GROUP [--timeout-s S]
 *
 * load      produces the records of a CSV file (framed as file mode frames
 *           them, line end removed, one record per message, no key) as
 *           fast as the broker takes them.  Prints records, bytes, seconds.
 * progress  polls the committed offsets of GROUP on TOPIC until they cover
 *           every record in it (or RECORDS, for a topic still being
 *           written), and samples the processor's CPU time (utime + stime
 *           of /proc/PID/stat, all threads), the broker's, and VmRSS.
 *           Throughput and CPU are taken over a steady-state window between
 *           two commits: from the first commit that covers SHARE (0.2) of
 *           the records (process start, group join, JVM start-up and JIT
 *           warm-up stay before it) to the last commit before the one that
 *           covers every record (the drain at the end, up to one commit
 *           interval of waiting, stays after it).  Prints key=value
 *           figures.
 * latency   produces records at RATE per second for SECONDS, each stamped
 *           with its Kafka timestamp (CreateTime) at the moment it is handed
 *           to librdkafka, and reads OUT with isolation.level=read_committed
 *           at the same time.  The latency of a record is the wall-clock
 *           time at which the reading consumer receives its output minus
 *           that input timestamp: it includes the processor, the commit
 *           interval, the transaction commit and one fetch round trip of
 *           the reader (fetch.wait.max.ms=5).  The output is matched to its
 *           input by record_id (a JSON "record_id" value, or the first CSV
 *           field for the passthrough's copies).  Records produced during
 *           the first --warmup-s seconds are not counted.
 * count     reads TOPIC from the start with read_committed to its end and
 *           prints the number of messages; with --ids also the number of
 *           distinct record_ids and of repeats.
 * wait-group waits until GROUP is Stable with every member assigned, so
 *           that a latency run starts with the processor ready.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include "cdranon/filein.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define MAX_RECORD (1u << 20)
#define MAX_XPROPS 32

typedef struct {
        const char *bootstrap;
        const char *topic;
        const char *out_topic;
        const char *group;
        const char *input;
        const char *rss_log;
        const char *cdf;
        long pid;
        long broker_pid;
        uint64_t max_records;
        double rate;
        double seconds;
        double warmup;
        double skip;
        int interval_ms;
        int timeout_s;
        int skip_header;
        int ids;
        const char *xprops[MAX_XPROPS];
        int nxprops;
} opts_t;

static void die(const char *fmt, ...) CDR_PRINTF(1, 2);

static void die(const char *fmt, ...)
{
        va_list ap;

        fputs("kbench: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static uint64_t mono_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t wall_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void sleep_us(uint64_t us)
{
        struct timespec ts = {(time_t)(us / 1000000u),
                              (long)(us % 1000000u) * 1000};

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

static void set_prop(rd_kafka_conf_t *conf, const char *name, const char *value)
{
        char errstr[512];

        if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK)
                die("%s: %s", name, errstr);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        (void)rk;
        if (level <= 3)
                fprintf(stderr, "kbench: librdkafka %s: %s\n", fac, buf);
}

static rd_kafka_conf_t *base_conf(const opts_t *o)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        int i;

        set_prop(conf, "bootstrap.servers", o->bootstrap);
        rd_kafka_conf_set_log_cb(conf, log_cb);
        for (i = 0; i < o->nxprops; i++) {
                char name[256];
                const char *eq = strchr(o->xprops[i], '=');

                if (eq == NULL || (size_t)(eq - o->xprops[i]) >= sizeof(name))
                        die("-X %s: expected name=value", o->xprops[i]);
                memcpy(name, o->xprops[i], (size_t)(eq - o->xprops[i]));
                name[eq - o->xprops[i]] = '\0';
                set_prop(conf, name, eq + 1);
        }
        return conf;
}

static rd_kafka_t *new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
        char errstr[512];
        rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));

        if (rk == NULL)
                die("rd_kafka_new: %s", errstr);
        return rk;
}

/* The partition count of a topic, from the cluster's metadata. */
static int partition_count(rd_kafka_t *rk, const char *topic)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err;
        int n;

        err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        rd_kafka_topic_destroy(rkt);
        if (err)
                die("metadata of %s: %s", topic, rd_kafka_err2str(err));
        if (md->topic_cnt != 1 || md->topics[0].err)
                die("topic %s: %s", topic,
                    md->topic_cnt ? rd_kafka_err2str(md->topics[0].err)
                                  : "missing");
        n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        return n;
}

/* --- load -------------------------------------------------------------- */

static int strip_line_end(const char *p, int n)
{
        if (n > 0 && p[n - 1] == '\n')
                n--;
        if (n > 0 && p[n - 1] == '\r')
                n--;
        return n;
}

static cdr_filein_t *open_input(const opts_t *o)
{
        char errstr[512];
        cdr_filein_t *in = cdr_filein_open(o->input, CDR_FORMAT_CSV, ',',
                                           MAX_RECORD, errstr, sizeof(errstr));

        if (in == NULL)
                die("%s", errstr);
        return in;
}

/* The next record without its line end; 0 at the end of the input. */
static int next_record(cdr_filein_t *in, cdr_view_t *rec)
{
        char errstr[512];
        uint64_t line;
        int rc;

        do {
                rc = cdr_filein_next(in, rec, &line, errstr, sizeof(errstr));
        } while (rc == CDR_ERR_TOOBIG);
        if (rc < 0)
                die("%s", errstr);
        if (rc == 1)
                rec->n = (size_t)strip_line_end(rec->p, (int)rec->n);
        return rc;
}

/* Produces one message, waiting while the local queue is full. */
static void produce(rd_kafka_t *rk, const char *topic, const cdr_view_t *rec,
                    int64_t ts_ms)
{
        rd_kafka_resp_err_t err;

        for (;;) {
                err = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_VALUE((void *)rec->p, rec->n),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_TIMESTAMP(ts_ms), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(rk, 5);
        }
        if (err)
                die("produce to %s: %s", topic, rd_kafka_err2str(err));
}

static atomic_uint_fast64_t delivery_failures;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (m->err) {
                if (atomic_fetch_add(&delivery_failures, 1) == 0)
                        fprintf(stderr, "kbench: delivery failed: %s\n",
                                rd_kafka_err2str(m->err));
        }
}

static rd_kafka_t *new_producer(const opts_t *o, const char *linger)
{
        rd_kafka_conf_t *conf = base_conf(o);

        set_prop(conf, "enable.idempotence", "true");
        set_prop(conf, "linger.ms", linger);
        set_prop(conf, "queue.buffering.max.messages", "1000000");
        set_prop(conf, "queue.buffering.max.kbytes", "1048576");
        set_prop(conf, "batch.size", "1000000");
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        return new_handle(RD_KAFKA_PRODUCER, conf);
}

static void finish_producer(rd_kafka_t *rk)
{
        rd_kafka_resp_err_t err = rd_kafka_flush(rk, 120000);

        if (err)
                die("flush: %s", rd_kafka_err2str(err));
        if (atomic_load(&delivery_failures) > 0)
                die("%" PRIuFAST64 " messages not delivered",
                    atomic_load(&delivery_failures));
}

static int cmd_load(const opts_t *o)
{
        rd_kafka_t *rk = new_producer(o, "20");
        cdr_filein_t *in = open_input(o);
        uint64_t n = 0, bytes = 0, t0 = mono_us(), t1;
        cdr_view_t rec;

        if (o->skip_header && next_record(in, &rec) == 0)
                die("%s: empty", o->input);
        while ((o->max_records == 0 || n < o->max_records) &&
               next_record(in, &rec) == 1) {
                produce(rk, o->topic, &rec, 0);
                n++;
                bytes += rec.n;
                if ((n & 1023) == 0)
                        rd_kafka_poll(rk, 0);
        }
        finish_producer(rk);
        t1 = mono_us();
        printf("records=%" PRIu64 " bytes=%" PRIu64 " seconds=%.3f\n", n, bytes,
               (double)(t1 - t0) / 1e6);
        cdr_filein_close(in);
        rd_kafka_destroy(rk);
        return 0;
}

/* --- progress ---------------------------------------------------------- */

/* utime + stime of a process in clock ticks, or -1 when it is gone. */
static long long proc_ticks(long pid)
{
        char path[64], buf[1024];
        unsigned long long ut, st;
        const char *p;
        FILE *f;
        size_t n;
        int field;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        f = fopen(path, "r");
        if (f == NULL)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* The command name may hold spaces: fields count from its ')'. */
        p = strrchr(buf, ')');
        if (p == NULL)
                return -1;
        for (field = 2; field < 13 && p != NULL; field++)
                p = strchr(p + 1, ' ');
        if (p == NULL || sscanf(p + 1, "%llu %llu", &ut, &st) != 2)
                return -1;
        return (long long)(ut + st);
}

/* VmRSS of a process in KiB, or -1. */
static long proc_rss_kb(long pid)
{
        char path[64], line[256];
        long kb = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%ld/status", pid);
        f = fopen(path, "r");
        if (f == NULL)
                return -1;
        while (fgets(line, sizeof(line), f) != NULL) {
                if (strncmp(line, "VmRSS:", 6) == 0) {
                        kb = strtol(line + 6, NULL, 10);
                        break;
                }
        }
        fclose(f);
        return kb;
}

/* A process that has exited but not been reaped is a zombie: gone. */
static int proc_alive(long pid)
{
        char path[64], buf[512];
        const char *p;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        f = fopen(path, "r");
        if (f == NULL)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* One sample of the group's progress. */
typedef struct {
        uint64_t t;          /* monotonic us */
        int64_t committed;   /* records */
        long long cpu, bcpu; /* clock ticks */
} sample_t;

static int cmd_progress(const opts_t *o)
{
        rd_kafka_conf_t *conf = base_conf(o);
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_t *rk;
        int64_t target = 0, committed = 0;
        uint64_t t0, next_rss = 0, now;
        long rss = 0, rss_max = 0, hz = sysconf(_SC_CLK_TCK);
        sample_t first = {0}, start = {0}, last_change = {0}, end = {0};
        int have_first = 0, have_start = 0, have_change = 0;
        FILE *rss_log = NULL;
        int np, i;

        set_prop(conf, "group.id", o->group);
        /* Plain (not stable) offset fetches: the figures are what the
         * group has committed, which is all that matters here. */
        set_prop(conf, "isolation.level", "read_uncommitted");
        set_prop(conf, "enable.auto.commit", "false");
        rk = new_handle(RD_KAFKA_CONSUMER, conf);
        np = partition_count(rk, o->topic);
        parts = rd_kafka_topic_partition_list_new(np);
        for (i = 0; i < np; i++) {
                int64_t lo, hi;
                rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                    rk, o->topic, i, &lo, &hi, 10000);

                if (err)
                        die("watermarks of %s [%d]: %s", o->topic, i,
                            rd_kafka_err2str(err));
                (void)lo;
                target += hi;
                rd_kafka_topic_partition_list_add(parts, o->topic, i);
        }
        if (o->max_records > 0)
                target = (int64_t)o->max_records;
        if (o->rss_log != NULL) {
                rss_log = fopen(o->rss_log, "w");
                if (rss_log == NULL)
                        die("%s: %s", o->rss_log, strerror(errno));
                fprintf(rss_log, "seconds,committed,rss_kb\n");
        }

        t0 = mono_us();
        for (;;) {
                rd_kafka_resp_err_t err;
                sample_t s = {0};
                int64_t sum = 0;

                err = rd_kafka_committed(rk, parts, 10000);
                now = mono_us();
                s.t = now;
                s.cpu = proc_ticks(o->pid);
                if (o->broker_pid > 0)
                        s.bcpu = proc_ticks(o->broker_pid);
                rss = proc_rss_kb(o->pid);
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                        for (i = 0; i < np; i++)
                                if (parts->elems[i].offset > 0)
                                        sum += parts->elems[i].offset;
                        committed = sum;
                }
                s.committed = committed;
                if (rss > rss_max)
                        rss_max = rss;
                if (rss_log != NULL && now >= next_rss) {
                        fprintf(rss_log, "%.3f,%" PRId64 ",%ld\n",
                                (double)(now - t0) / 1e6, committed, rss);
                        fflush(rss_log);
                        next_rss = now + 1000000u;
                }
                if (committed > 0 && !have_first) {
                        first = s;
                        have_first = 1;
                }
                if ((double)committed >= o->skip * (double)target &&
                    committed > 0 && !have_start) {
                        start = s;
                        have_start = 1;
                }
                if (have_start && committed > start.committed &&
                    committed < target &&
                    (!have_change || committed > last_change.committed)) {
                        last_change = s;
                        have_change = 1;
                }
                if (committed >= target) {
                        end = s;
                        break;
                }
                if (!proc_alive(o->pid))
                        die("processor %ld exited after %" PRId64 " of %" PRId64
                            " records were committed",
                            o->pid, committed, target);
                if (now - t0 > (uint64_t)o->timeout_s * 1000000u)
                        die("timeout: %" PRId64 " of %" PRId64
                            " records committed after %d s",
                            committed, target, o->timeout_s);
                sleep_us((uint64_t)o->interval_ms * 1000u);
        }
        if (rss_log != NULL) {
                fprintf(rss_log, "%.3f,%" PRId64 ",%ld\n",
                        (double)(end.t - t0) / 1e6, committed, rss);
                fclose(rss_log);
        }
        /* The window runs between two commits: the first that covers the
         * skipped share of the input, and the last before the one that
         * covers all of it, so that neither start-up nor the drain at the
         * end (up to one commit interval with nothing left to do) is
         * counted.  With no commit in between, the end is the last one. */
        if (!have_change || last_change.t <= start.t)
                last_change = end;
        {
                double window = (double)(last_change.t - start.t) / 1e6;
                int64_t recs = last_change.committed - start.committed;
                double cpu_s =
                    (double)(last_change.cpu - start.cpu) / (double)hz;
                double bcpu_s =
                    (double)(last_change.bcpu - start.bcpu) / (double)hz;

                if (recs <= 0 || window <= 0)
                        die("no measuring window: too few commits over %" PRId64
                            " records; use more records",
                            target);
                printf("records=%" PRId64 " window_records=%" PRId64
                       " window_s=%.3f rate=%.0f cpu_s=%.2f "
                       "cpu_s_per_M=%.3f broker_cpu_s_per_M=%.3f "
                       "startup_s=%.3f total_s=%.3f rss_max_kb=%ld\n",
                       target, recs, window, (double)recs / window, cpu_s,
                       cpu_s * 1e6 / (double)recs,
                       o->broker_pid > 0 ? bcpu_s * 1e6 / (double)recs : 0.0,
                       (double)(first.t - t0) / 1e6, (double)(end.t - t0) / 1e6,
                       rss_max);
        }
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_destroy(rk);
        return 0;
}

/* --- latency ----------------------------------------------------------- */

/* The record_id of an output message: the digits after "record_id":" in
 * a JSON object, or the first CSV field.  Returns 0 when there is none. */
static uint64_t record_id_of(const char *p, size_t n)
{
        static const char key[] = "\"record_id\":";
        uint64_t id = 0;
        size_t i = 0;

        if (n > 0 && p[0] == '{') {
                const char *k = memmem(p, n, key, sizeof(key) - 1);

                if (k == NULL)
                        return 0;
                i = (size_t)(k - p) + sizeof(key) - 1;
                if (i < n && p[i] == '"')
                        i++;
        }
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
                if (id > UINT64_MAX / 20)
                        return 0;
                id = id * 10 + (uint64_t)(p[i] - '0');
        }
        return id;
}

typedef struct {
        const opts_t *o;
        _Atomic uint64_t *sent_us; /* by record_id; 0: not sent */
        uint64_t max_id;
        atomic_uint_fast64_t sent;
        atomic_uint_fast64_t counted; /* sent after the warm-up */
        atomic_int done;
        double achieved_rate;
} lat_t;

static void *latency_producer(void *arg)
{
        lat_t *lat = arg;
        const opts_t *o = lat->o;
        rd_kafka_t *rk = new_producer(o, "0");
        cdr_filein_t *in = open_input(o);
        uint64_t total = (uint64_t)(o->rate * o->seconds);
        uint64_t warm = (uint64_t)(o->rate * o->warmup);
        uint64_t t0, i;
        cdr_view_t rec;

        if (o->skip_header && next_record(in, &rec) == 0)
                die("%s: empty", o->input);
        t0 = mono_us();
        for (i = 0; i < total; i++) {
                uint64_t due = t0 + (uint64_t)((double)i * 1e6 / o->rate);
                uint64_t now = mono_us(), id, wall;

                if (due > now + 200)
                        sleep_us(due - now);
                if (next_record(in, &rec) != 1)
                        die("%s: only %" PRIu64 " records for the run",
                            o->input, i);
                id = record_id_of(rec.p, rec.n);
                wall = wall_us();
                if (id > 0 && id <= lat->max_id && i >= warm) {
                        atomic_store_explicit(&lat->sent_us[id], wall,
                                              memory_order_release);
                        atomic_fetch_add(&lat->counted, 1);
                }
                produce(rk, o->topic, &rec, (int64_t)(wall / 1000));
                atomic_fetch_add(&lat->sent, 1);
                rd_kafka_poll(rk, 0);
        }
        lat->achieved_rate = (double)total * 1e6 / (double)(mono_us() - t0);
        finish_producer(rk);
        atomic_store(&lat->done, 1);
        cdr_filein_close(in);
        rd_kafka_destroy(rk);
        return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static double quantile_ms(const uint64_t *v, size_t n, double q)
{
        size_t k;

        if (n == 0)
                return 0;
        k = (size_t)(q * (double)(n - 1) + 0.5);
        return (double)v[k] / 1000.0;
}

static int cmd_latency(const opts_t *o)
{
        rd_kafka_conf_t *conf = base_conf(o);
        rd_kafka_topic_partition_list_t *parts;
        uint64_t *lat_us, nlat = 0, dups = 0, late = 0, idle_since = 0;
        unsigned char *seen;
        rd_kafka_t *rk;
        pthread_t thr;
        lat_t lat;
        char group[64];
        int np, i;

        memset(&lat, 0, sizeof(lat));
        lat.o = o;
        lat.max_id = (uint64_t)(o->rate * o->seconds) + 16;
        lat.sent_us = calloc(lat.max_id + 1, sizeof(*lat.sent_us));
        seen = calloc(lat.max_id + 1, 1);
        lat_us = calloc(lat.max_id + 1, sizeof(*lat_us));
        if (lat.sent_us == NULL || seen == NULL || lat_us == NULL)
                die("out of memory");

        snprintf(group, sizeof(group), "kbench-latency-%ld", (long)getpid());
        set_prop(conf, "group.id", group);
        set_prop(conf, "isolation.level", "read_committed");
        set_prop(conf, "enable.auto.commit", "false");
        set_prop(conf, "fetch.wait.max.ms", "5");
        set_prop(conf, "fetch.min.bytes", "1");
        rk = new_handle(RD_KAFKA_CONSUMER, conf);
        np = partition_count(rk, o->out_topic);
        parts = rd_kafka_topic_partition_list_new(np);
        for (i = 0; i < np; i++)
                rd_kafka_topic_partition_list_add(parts, o->out_topic, i)
                    ->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_assign(rk, parts))
                die("assign %s", o->out_topic);
        rd_kafka_topic_partition_list_destroy(parts);

        if (pthread_create(&thr, NULL, latency_producer, &lat) != 0)
                die("pthread_create");
        for (;;) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                uint64_t now = wall_us(), id, sent;

                if (m == NULL) {
                        if (atomic_load(&lat.done)) {
                                if (idle_since == 0)
                                        idle_since = mono_us();
                                /* Everything counted arrived, or the
                                 * output has been quiet for a while
                                 * (dead-lettered and suppressed records
                                 * never arrive). */
                                if (nlat + late >= atomic_load(&lat.counted) ||
                                    mono_us() - idle_since >
                                        (uint64_t)o->timeout_s * 1000000u)
                                        break;
                        }
                        continue;
                }
                idle_since = 0;
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fprintf(stderr, "kbench: consume: %s\n",
                                        rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                id = record_id_of(m->payload, m->len);
                rd_kafka_message_destroy(m);
                if (id == 0 || id > lat.max_id)
                        continue;
                sent = atomic_load_explicit(&lat.sent_us[id],
                                            memory_order_acquire);
                if (sent == 0)
                        continue; /* warm-up record */
                if (seen[id]) {
                        dups++;
                        continue;
                }
                seen[id] = 1;
                if (now < sent)
                        now = sent;
                lat_us[nlat++] = now - sent;
        }
        pthread_join(thr, NULL);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);

        qsort(lat_us, nlat, sizeof(*lat_us), cmp_u64);
        printf("sent=%" PRIuFAST64 " counted=%" PRIuFAST64 " received=%" PRIu64
               " duplicates=%" PRIu64 " rate=%.0f p50_ms=%.2f p90_ms=%.2f "
               "p99_ms=%.2f p999_ms=%.2f max_ms=%.2f\n",
               atomic_load(&lat.sent), atomic_load(&lat.counted), nlat, dups,
               lat.achieved_rate, quantile_ms(lat_us, nlat, 0.5),
               quantile_ms(lat_us, nlat, 0.9), quantile_ms(lat_us, nlat, 0.99),
               quantile_ms(lat_us, nlat, 0.999),
               nlat ? (double)lat_us[nlat - 1] / 1000.0 : 0.0);
        if (o->cdf != NULL) {
                FILE *f = fopen(o->cdf, "w");
                int k;

                if (f == NULL)
                        die("%s: %s", o->cdf, strerror(errno));
                /* Quantiles spaced evenly to p99, then in finer steps to
                 * p99.99, so that a plot shows the tail. */
                fprintf(f, "quantile,latency_ms\n");
                for (k = 0; k <= 990; k++)
                        fprintf(f, "%.5f,%.3f\n", k / 1000.0,
                                quantile_ms(lat_us, nlat, k / 1000.0));
                for (k = 1; k <= 99; k++)
                        fprintf(f, "%.5f,%.3f\n", 0.99 + k / 10000.0,
                                quantile_ms(lat_us, nlat, 0.99 + k / 10000.0));
                fprintf(f, "%.5f,%.3f\n", 1.0, quantile_ms(lat_us, nlat, 1.0));
                fclose(f);
        }
        free(lat_us);
        free(seen);
        free((void *)lat.sent_us);
        return nlat > 0 ? 0 : 1;
}

/* --- count ------------------------------------------------------------- */

static int cmd_count(const opts_t *o)
{
        rd_kafka_conf_t *conf = base_conf(o);
        rd_kafka_topic_partition_list_t *parts;
        uint64_t n = 0, distinct = 0, repeats = 0, cap = 0;
        unsigned char *seen = NULL;
        rd_kafka_t *rk;
        char group[64];
        int np, i, eofs = 0;

        snprintf(group, sizeof(group), "kbench-count-%ld", (long)getpid());
        set_prop(conf, "group.id", group);
        set_prop(conf, "isolation.level", "read_committed");
        set_prop(conf, "enable.auto.commit", "false");
        set_prop(conf, "enable.partition.eof", "true");
        rk = new_handle(RD_KAFKA_CONSUMER, conf);
        np = partition_count(rk, o->topic);
        parts = rd_kafka_topic_partition_list_new(np);
        for (i = 0; i < np; i++)
                rd_kafka_topic_partition_list_add(parts, o->topic, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_assign(rk, parts))
                die("assign %s", o->topic);
        rd_kafka_topic_partition_list_destroy(parts);
        while (eofs < np) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10000);
                uint64_t id;

                if (m == NULL)
                        die("count %s: no progress for 10 s", o->topic);
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eofs++;
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (m->err)
                        die("count %s: %s", o->topic,
                            rd_kafka_message_errstr(m));
                n++;
                if (o->ids) {
                        id = record_id_of(m->payload, m->len);
                        if (id >= cap) {
                                uint64_t ncap = cap ? cap : 1u << 20;
                                unsigned char *ns;

                                while (ncap <= id)
                                        ncap *= 2;
                                ns = realloc(seen, ncap);
                                if (ns == NULL)
                                        die("out of memory");
                                memset(ns + cap, 0, ncap - cap);
                                seen = ns;
                                cap = ncap;
                        }
                        if (seen[id])
                                repeats++;
                        else
                                distinct++;
                        seen[id] = 1;
                }
                rd_kafka_message_destroy(m);
        }
        if (o->ids)
                printf("messages=%" PRIu64 " distinct=%" PRIu64
                       " repeats=%" PRIu64 "\n",
                       n, distinct, repeats);
        else
                printf("messages=%" PRIu64 "\n", n);
        free(seen);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
}

/* --- wait-group ------------------------------------------------------- */

static int group_ready(rd_kafka_t *rk, const char *group)
{
        const struct rd_kafka_group_list *list;
        rd_kafka_resp_err_t err;
        int i, ready = 0;

        err = rd_kafka_list_groups(rk, group, &list, 5000);
        if (err)
                return 0;
        if (list->group_cnt == 1 &&
            strcmp(list->groups[0].state, "Stable") == 0 &&
            list->groups[0].member_cnt > 0) {
                ready = 1;
                for (i = 0; i < list->groups[0].member_cnt; i++)
                        if (list->groups[0].members[i].member_assignment_size ==
                            0)
                                ready = 0;
        }
        rd_kafka_group_list_destroy(list);
        return ready;
}

static int cmd_wait_group(const opts_t *o)
{
        rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, base_conf(o));
        uint64_t t0 = mono_us(), ready_since = 0;

        /* Ready for two seconds in a row: a processor with several
         * consumers (Kafka Streams threads) joins one at a time, and each
         * join is a rebalance. */
        for (;;) {
                uint64_t now = mono_us();

                if (!group_ready(rk, o->group))
                        ready_since = 0;
                else if (ready_since == 0)
                        ready_since = now;
                else if (now - ready_since >= 2000000u)
                        break;
                if (now - t0 > (uint64_t)o->timeout_s * 1000000u)
                        die("group %s not ready after %d s", o->group,
                            o->timeout_s);
                sleep_us(100000);
        }
        printf("ready_s=%.3f\n", (double)(mono_us() - t0) / 1e6);
        rd_kafka_destroy(rk);
        return 0;
}

/* --- main -------------------------------------------------------------- */

static void usage(void)
{
        fputs(
            "usage: kbench load|progress|latency|count|wait-group [OPTION]...\n"
            "  (see the comment at the top of bench/kbench.c)\n",
            stderr);
        exit(2);
}

int main(int argc, char **argv)
{
        enum {
                O_SKIP = 256,
                O_BPID,
                O_INTERVAL,
                O_TIMEOUT,
                O_RSSLOG,
                O_WARMUP,
                O_CDF,
                O_IDS,
                O_SKIP_SHARE,
        };
        static const struct option longopts[] = {
            {"skip-header", no_argument, NULL, O_SKIP},
            {"broker-pid", required_argument, NULL, O_BPID},
            {"interval-ms", required_argument, NULL, O_INTERVAL},
            {"timeout-s", required_argument, NULL, O_TIMEOUT},
            {"rss-log", required_argument, NULL, O_RSSLOG},
            {"warmup-s", required_argument, NULL, O_WARMUP},
            {"cdf", required_argument, NULL, O_CDF},
            {"ids", no_argument, NULL, O_IDS},
            {"skip", required_argument, NULL, O_SKIP_SHARE},
            {NULL, 0, NULL, 0},
        };
        opts_t o;
        const char *cmd;
        int c;

        if (argc < 2)
                usage();
        cmd = argv[1];
        memset(&o, 0, sizeof(o));
        o.bootstrap = "127.0.0.1:19092";
        o.interval_ms = 25;
        o.timeout_s = 600;
        o.warmup = 2;
        o.skip = 0.2;
        signal(SIGPIPE, SIG_IGN);
        optind = 2;
        while ((c = getopt_long(argc, argv, "b:t:o:g:i:p:n:r:d:X:", longopts,
                                NULL)) != -1) {
                switch (c) {
                case 'b':
                        o.bootstrap = optarg;
                        break;
                case 't':
                        o.topic = optarg;
                        break;
                case 'o':
                        o.out_topic = optarg;
                        break;
                case 'g':
                        o.group = optarg;
                        break;
                case 'i':
                        o.input = optarg;
                        break;
                case 'p':
                        o.pid = strtol(optarg, NULL, 10);
                        break;
                case 'n':
                        o.max_records = strtoull(optarg, NULL, 10);
                        break;
                case 'r':
                        o.rate = strtod(optarg, NULL);
                        break;
                case 'd':
                        o.seconds = strtod(optarg, NULL);
                        break;
                case 'X':
                        if (o.nxprops == MAX_XPROPS)
                                usage();
                        o.xprops[o.nxprops++] = optarg;
                        break;
                case O_SKIP:
                        o.skip_header = 1;
                        break;
                case O_BPID:
                        o.broker_pid = strtol(optarg, NULL, 10);
                        break;
                case O_INTERVAL:
                        o.interval_ms = atoi(optarg);
                        break;
                case O_TIMEOUT:
                        o.timeout_s = atoi(optarg);
                        break;
                case O_RSSLOG:
                        o.rss_log = optarg;
                        break;
                case O_WARMUP:
                        o.warmup = strtod(optarg, NULL);
                        break;
                case O_CDF:
                        o.cdf = optarg;
                        break;
                case O_IDS:
                        o.ids = 1;
                        break;
                case O_SKIP_SHARE:
                        o.skip = strtod(optarg, NULL);
                        break;
                default:
                        usage();
                }
        }
        if (optind != argc)
                usage();
        if (strcmp(cmd, "wait-group") == 0 && o.group != NULL)
                return cmd_wait_group(&o);
        if (o.topic == NULL)
                usage();
        if (strcmp(cmd, "load") == 0 && o.input != NULL)
                return cmd_load(&o);
        if (strcmp(cmd, "progress") == 0 && o.group != NULL && o.pid > 0 &&
            o.interval_ms > 0)
                return cmd_progress(&o);
        if (strcmp(cmd, "latency") == 0 && o.input != NULL &&
            o.out_topic != NULL && o.rate > 0 && o.seconds > 0)
                return cmd_latency(&o);
        if (strcmp(cmd, "count") == 0)
                return cmd_count(&o);
        usage();
        return 2;
}
