/*
 * kafka-admin: the few admin operations that kafka-local.sh needs, through
 * librdkafka so that no JVM has to start for each of them.
 *
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] ready [BROKERS]
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] warm
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] [-r REPLICAS] create NAME
 *               PARTITIONS [key=value]...
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] delete NAME
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] list
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] describe [TOPIC]...
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] leader TOPIC PARTITION
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] coordinator transaction|group
 *               ID
 *   kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] replicated [BROKERS]
 *
 * Before the command, any number of
 *   -F FILE         librdkafka client properties, one key=value a line
 *                   (# starts a comment), e.g. SASL and TLS settings
 *   -X KEY=VALUE    one librdkafka client property
 * apply to every client the command makes, in the order given.
 *
 * ready   exits 0 once the cluster answers a metadata request that names at
 *         least BROKERS brokers (1 by default), 1 when TIMEOUT_MS runs out
 *         first.
 * warm    makes the broker create its internal topics and load their
 *         coordinators now rather than on the first test's request: a
 *         transactional producer's InitProducerId (__transaction_state) and
 *         a consumer's OffsetFetch (__consumer_offsets).  Exits 0 when both
 *         answered, 1 otherwise.
 * create  creates a topic with REPLICAS replicas of each partition (-r, 1
 *         by default) and the given topic configuration, then waits until
 *         every partition has a leader and all its replicas in sync.  A
 *         topic that already exists with the same partition count is not an
 *         error; one with another partition count is.
 * delete  deletes a topic; a topic that does not exist is not an error.
 * list    prints "NAME<TAB>PARTITIONS" for every topic, sorted by name.
 * describe
 *         prints one line per partition of the named topics (of every
 *         topic, internal ones included, without a name):
 *         "TOPIC<TAB>PARTITION<TAB>LEADER<TAB>REPLICAS<TAB>ISR", the last
 *         two as comma-separated node ids; LEADER is -1 without a leader.
 * leader  prints the node id of the partition's leader, as the cluster's
 *         metadata has it; exits 1 when it has none.
 * coordinator
 *         prints the node id of the transaction coordinator of a
 *         transactional id, or of the group coordinator of a consumer
 *         group: the leader of the partition of __transaction_state (or
 *         __consumer_offsets) that the broker maps the id to, the Java
 *         String.hashCode of the id, made non-negative, modulo the topic's
 *         partition count (Kafka's TransactionStateManager.partitionFor
 *         and the group coordinator's partitionFor).  Exits 1 when that
 *         partition has no leader or the topic does not exist yet.
 * replicated
 *         exits 0 once the metadata names at least BROKERS brokers (1 by
 *         default) and every partition of every topic, internal ones
 *         included, has a leader and all its replicas in sync; 1 when
 *         TIMEOUT_MS runs out first, naming the partitions that were not.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define DEFAULT_BOOTSTRAP  "127.0.0.1:19092"
#define DEFAULT_TIMEOUT_MS 30000
#define POLL_STEP_MS       200
#define MAX_PROPS          64

static int quiet_logs;

/* The -F and -X properties, "key=value" each, owned by main. */
static char *props[MAX_PROPS];
static int nprops;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        (void)rk;
        /* While waiting for a broker to come up, refused connections are
         * expected; otherwise errors are worth seeing. */
        if (quiet_logs || level > 3)
                return;
        fprintf(stderr, "kafka-admin: librdkafka %s: %s\n", fac, buf);
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(long long deadline)
{
        long long left = deadline - now_ms();

        if (left <= 0)
                return 0;
        return left > INT_MAX ? INT_MAX : (int)left;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
}

static int set_conf(rd_kafka_conf_t *conf, const char *key, const char *val);
static int usage(void);

/* Applies the -F and -X properties. */
static int apply_props(rd_kafka_conf_t *conf)
{
        int i;

        for (i = 0; i < nprops; i++) {
                char *eq = strchr(props[i], '=');
                int bad;

                *eq = '\0';
                bad = set_conf(conf, props[i], eq + 1);
                *eq = '=';
                if (bad)
                        return -1;
        }
        return 0;
}

static rd_kafka_t *client_new(const char *bootstrap)
{
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;

        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            rd_kafka_conf_set(conf, "log.connection.close", "false", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "kafka-admin: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        if (apply_props(conf)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(conf, log_cb);
        /* rd_kafka_new() takes conf over on success only. */
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "kafka-admin: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
        }
        return rk;
}

static int cmd_ready(rd_kafka_t *rk, long long deadline, int min_brokers)
{
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        int brokers = 0;

        quiet_logs = 1;
        while (remaining_ms(deadline) > 0) {
                const struct rd_kafka_metadata *md = NULL;
                int step = remaining_ms(deadline);

                if (step > 2000)
                        step = 2000;
                err = rd_kafka_metadata(rk, 1, NULL, &md, step);
                if (!err) {
                        brokers = md->broker_cnt;
                        rd_kafka_metadata_destroy(md);
                        if (brokers >= min_brokers)
                                return 0;
                }
                sleep_ms(POLL_STEP_MS);
        }
        if (err)
                fprintf(stderr,
                        "kafka-admin: no metadata from the cluster: "
                        "%s\n",
                        rd_kafka_err2str(err));
        else
                fprintf(stderr,
                        "kafka-admin: the cluster names %d broker(s), not "
                        "%d\n",
                        brokers, min_brokers);
        return 1;
}

static int set_conf(rd_kafka_conf_t *conf, const char *key, const char *val)
{
        char errstr[512];

        if (rd_kafka_conf_set(conf, key, val, errstr, sizeof(errstr)) ==
            RD_KAFKA_CONF_OK)
                return 0;
        fprintf(stderr, "kafka-admin: %s\n", errstr);
        return -1;
}

/* Errors of a coordinator that is being elected or loaded. */
static int coordinator_moving(rd_kafka_resp_err_t err)
{
        return err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
               err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
               err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
               err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
               err == RD_KAFKA_RESP_ERR__TRANSPORT;
}

static int cmd_warm(const char *bootstrap, long long deadline)
{
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_error_t *error;
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t err;

        conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, log_cb);
        if (set_conf(conf, "bootstrap.servers", bootstrap) ||
            set_conf(conf, "transactional.id", "kafka-local.warm") ||
            apply_props(conf)) {
                rd_kafka_conf_destroy(conf);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "kafka-admin: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
                return 1;
        }
        /* A cluster's internal topics are created on this first use and
         * their leaders elected a moment later: retriable errors until
         * then. */
        for (;;) {
                error = rd_kafka_init_transactions(rk, remaining_ms(deadline));
                if (!error || !rd_kafka_error_is_retriable(error) ||
                    remaining_ms(deadline) <= POLL_STEP_MS)
                        break;
                rd_kafka_error_destroy(error);
                sleep_ms(POLL_STEP_MS);
        }
        rd_kafka_destroy(rk);
        if (error) {
                fprintf(stderr, "kafka-admin: transaction coordinator: %s\n",
                        rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return 1;
        }

        conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, log_cb);
        if (set_conf(conf, "bootstrap.servers", bootstrap) ||
            set_conf(conf, "group.id", "kafka-local.warm") ||
            apply_props(conf)) {
                rd_kafka_conf_destroy(conf);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "kafka-admin: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
                return 1;
        }
        parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(parts, "kafka-local.warm", 0);
        /* NOT_COORDINATOR and the like while __consumer_offsets gets its
         * leaders. */
        for (;;) {
                err = rd_kafka_committed(rk, parts, remaining_ms(deadline));
                if (!err || !coordinator_moving(err) ||
                    remaining_ms(deadline) <= POLL_STEP_MS)
                        break;
                sleep_ms(POLL_STEP_MS);
        }
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (err) {
                fprintf(stderr, "kafka-admin: group coordinator: %s\n",
                        rd_kafka_err2str(err));
                return 1;
        }
        return 0;
}

/* True when a partition has a leader and every replica in sync. */
static int partition_healthy(const struct rd_kafka_metadata_partition *mp)
{
        return !mp->err && mp->leader >= 0 && mp->isr_cnt == mp->replica_cnt;
}

/* Partition count of a topic, 0 if the cluster does not know it, -1 on
 * error.  *leaderless is set to the number of partitions without a leader
 * or with a replica out of sync. */
static int topic_partitions(rd_kafka_t *rk, const char *name, int timeout_ms,
                            int *leaderless)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        int i, cnt = 0;

        *leaderless = 0;
        err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
        if (err)
                return -1;
        for (i = 0; i < md->topic_cnt; i++) {
                const struct rd_kafka_metadata_topic *t = &md->topics[i];
                int p;

                if (strcmp(t->topic, name) != 0 || t->err)
                        continue;
                cnt = t->partition_cnt;
                for (p = 0; p < t->partition_cnt; p++)
                        if (!partition_healthy(&t->partitions[p]))
                                (*leaderless)++;
        }
        rd_kafka_metadata_destroy(md);
        return cnt;
}

/* Each broker applies the cluster's metadata on its own: a client that
 * asks another broker than the one that answered a moment ago may not
 * find a topic just created.  Waits until every broker the metadata names,
 * asked on its own (a client with it as the only bootstrap server), has
 * the topic with every partition led and in sync. */
static int every_broker_knows(rd_kafka_t *rk, long long deadline,
                              const char *name, int partitions)
{
        const struct rd_kafka_metadata *md = NULL;
        char addrs[16][300];
        int i, n, leaderless;

        if (rd_kafka_metadata(rk, 1, NULL, &md, remaining_ms(deadline)))
                return 0;
        n = md->broker_cnt < 16 ? md->broker_cnt : 16;
        for (i = 0; i < n; i++)
                snprintf(addrs[i], sizeof(addrs[i]), "%s:%d",
                         md->brokers[i].host, md->brokers[i].port);
        rd_kafka_metadata_destroy(md);
        if (n <= 1)
                return 0;
        for (i = 0; i < n; i++) {
                rd_kafka_t *one = client_new(addrs[i]);

                if (!one)
                        return 1;
                while (topic_partitions(one, name, 2000, &leaderless) !=
                           partitions ||
                       leaderless != 0) {
                        if (remaining_ms(deadline) == 0) {
                                fprintf(stderr,
                                        "kafka-admin: broker %s does not "
                                        "know topic %s in time\n",
                                        addrs[i], name);
                                rd_kafka_destroy(one);
                                return 1;
                        }
                        sleep_ms(POLL_STEP_MS);
                }
                rd_kafka_destroy(one);
        }
        return 0;
}

/* Runs one admin request and returns its result event, NULL on timeout. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, long long deadline)
{
        rd_kafka_event_t *ev;

        ev = rd_kafka_queue_poll(q, remaining_ms(deadline) + 1000);
        if (!ev)
                fprintf(stderr, "kafka-admin: no answer in time\n");
        return ev;
}

static int cmd_create(rd_kafka_t *rk, long long deadline, const char *name,
                      int partitions, int replicas, char **configs,
                      int config_cnt)
{
        char errstr[512];
        rd_kafka_NewTopic_t *nt;
        rd_kafka_AdminOptions_t *opts;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        const rd_kafka_CreateTopics_result_t *res;
        const rd_kafka_topic_result_t **tres;
        size_t tcnt = 0;
        rd_kafka_resp_err_t err;
        int i, have, leaderless, ret = 1;

        nt = rd_kafka_NewTopic_new(name, partitions, replicas, errstr,
                                   sizeof(errstr));
        if (!nt) {
                fprintf(stderr, "kafka-admin: %s\n", errstr);
                return 1;
        }
        for (i = 0; i < config_cnt; i++) {
                char *eq = strchr(configs[i], '=');

                if (!eq || eq == configs[i]) {
                        fprintf(stderr,
                                "kafka-admin: topic config must be "
                                "key=value: %s\n",
                                configs[i]);
                        rd_kafka_NewTopic_destroy(nt);
                        return 2;
                }
                *eq = '\0';
                err = rd_kafka_NewTopic_set_config(nt, configs[i], eq + 1);
                *eq = '=';
                if (err) {
                        fprintf(stderr, "kafka-admin: %s: %s\n", configs[i],
                                rd_kafka_err2str(err));
                        rd_kafka_NewTopic_destroy(nt);
                        return 1;
                }
        }

        opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, remaining_ms(deadline),
                                                  errstr, sizeof(errstr));
        /* Makes the controller answer only once the topic is created. */
        rd_kafka_AdminOptions_set_operation_timeout(
            opts, remaining_ms(deadline), errstr, sizeof(errstr));
        q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
        ev = admin_wait(q, deadline);
        if (!ev)
                goto out;
        err = rd_kafka_event_error(ev);
        if (err) {
                fprintf(stderr, "kafka-admin: create %s: %s\n", name,
                        rd_kafka_event_error_string(ev));
                goto out;
        }
        res = rd_kafka_event_CreateTopics_result(ev);
        tres = rd_kafka_CreateTopics_result_topics(res, &tcnt);
        err = tcnt == 1 ? rd_kafka_topic_result_error(tres[0])
                        : RD_KAFKA_RESP_ERR__FAIL;
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                have = topic_partitions(rk, name, remaining_ms(deadline),
                                        &leaderless);
                if (have != partitions) {
                        fprintf(stderr,
                                "kafka-admin: topic %s exists with %d "
                                "partitions, not %d\n",
                                name, have, partitions);
                        goto out;
                }
                printf("topic %s exists with %d partitions\n", name, have);
        } else if (err) {
                fprintf(stderr, "kafka-admin: create %s: %s\n", name,
                        tcnt == 1 && rd_kafka_topic_result_error_string(tres[0])
                            ? rd_kafka_topic_result_error_string(tres[0])
                            : rd_kafka_err2str(err));
                goto out;
        }

        /* Producers and consumers started right after this command should
         * find every partition led and, with min.insync.replicas, able to
         * take writes. */
        for (;;) {
                have = topic_partitions(rk, name, 2000, &leaderless);
                if (have == partitions && leaderless == 0)
                        break;
                if (remaining_ms(deadline) == 0) {
                        fprintf(stderr,
                                "kafka-admin: topic %s has no leader and "
                                "all replicas in sync for every partition "
                                "in time\n",
                                name);
                        goto out;
                }
                sleep_ms(POLL_STEP_MS);
        }
        if (every_broker_knows(rk, deadline, name, partitions) != 0)
                goto out;
        if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                printf("created topic %s with %d partitions\n", name,
                       partitions);
        ret = 0;
out:
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_NewTopic_destroy(nt);
        return ret;
}

static int cmd_delete(rd_kafka_t *rk, long long deadline, const char *name)
{
        char errstr[512];
        rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(name);
        rd_kafka_AdminOptions_t *opts;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        const rd_kafka_DeleteTopics_result_t *res;
        const rd_kafka_topic_result_t **tres;
        size_t tcnt = 0;
        rd_kafka_resp_err_t err;
        int ret = 1;

        opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, remaining_ms(deadline),
                                                  errstr, sizeof(errstr));
        rd_kafka_AdminOptions_set_operation_timeout(
            opts, remaining_ms(deadline), errstr, sizeof(errstr));
        q = rd_kafka_queue_new(rk);
        rd_kafka_DeleteTopics(rk, &dt, 1, opts, q);
        ev = admin_wait(q, deadline);
        if (!ev)
                goto out;
        err = rd_kafka_event_error(ev);
        if (!err) {
                res = rd_kafka_event_DeleteTopics_result(ev);
                tres = rd_kafka_DeleteTopics_result_topics(res, &tcnt);
                err = tcnt == 1 ? rd_kafka_topic_result_error(tres[0])
                                : RD_KAFKA_RESP_ERR__FAIL;
        }
        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                printf("topic %s does not exist\n", name);
        } else if (err) {
                fprintf(stderr, "kafka-admin: delete %s: %s\n", name,
                        rd_kafka_err2str(err));
                goto out;
        } else {
                printf("deleted topic %s\n", name);
        }
        ret = 0;
out:
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_DeleteTopic_destroy(dt);
        return ret;
}

static int cmp_topic(const void *a, const void *b)
{
        const struct rd_kafka_metadata_topic *ta = a, *tb = b;

        return strcmp(ta->topic, tb->topic);
}

/* A copy of md's topics sorted by name, for the caller to free(); NULL
 * (with a message) when out of memory. */
static struct rd_kafka_metadata_topic *
sorted_topics(const struct rd_kafka_metadata *md)
{
        struct rd_kafka_metadata_topic *topics;

        topics = calloc((size_t)md->topic_cnt + 1, sizeof(*topics));
        if (!topics) {
                fprintf(stderr, "kafka-admin: out of memory\n");
                return NULL;
        }
        if (md->topic_cnt > 0)
                memcpy(topics, md->topics,
                       (size_t)md->topic_cnt * sizeof(*topics));
        qsort(topics, (size_t)md->topic_cnt, sizeof(*topics), cmp_topic);
        return topics;
}

static int cmd_list(rd_kafka_t *rk, long long deadline)
{
        const struct rd_kafka_metadata *md = NULL;
        struct rd_kafka_metadata_topic *topics;
        rd_kafka_resp_err_t err;
        int i;

        err = rd_kafka_metadata(rk, 1, NULL, &md, remaining_ms(deadline));
        if (err) {
                fprintf(stderr, "kafka-admin: metadata: %s\n",
                        rd_kafka_err2str(err));
                return 1;
        }
        topics = sorted_topics(md);
        if (!topics) {
                rd_kafka_metadata_destroy(md);
                return 1;
        }
        for (i = 0; i < md->topic_cnt; i++)
                if (!topics[i].err)
                        printf("%s\t%d\n", topics[i].topic,
                               topics[i].partition_cnt);
        free(topics);
        rd_kafka_metadata_destroy(md);
        return 0;
}

/* Adds "a,b,c" (or "-" for none) to buf. */
static void format_ids(char *buf, size_t size, const int32_t *ids, int cnt)
{
        size_t used = 0;
        int i;

        buf[0] = '\0';
        if (cnt == 0) {
                snprintf(buf, size, "-");
                return;
        }
        for (i = 0; i < cnt && used < size; i++)
                used += (size_t)snprintf(buf + used, size - used, "%s%d",
                                         i ? "," : "", (int)ids[i]);
}

static int cmp_partition(const void *a, const void *b)
{
        const struct rd_kafka_metadata_partition *pa = a, *pb = b;

        return (pa->id > pb->id) - (pa->id < pb->id);
}

/* One line per partition of t, in partition order; to out, prefixed. */
static void print_topic(FILE *out, const char *prefix,
                        const struct rd_kafka_metadata_topic *t)
{
        struct rd_kafka_metadata_partition *parts;
        char replicas[512], isr[512];
        int p;

        parts = calloc((size_t)t->partition_cnt + 1, sizeof(*parts));
        if (!parts)
                return;
        if (t->partition_cnt > 0)
                memcpy(parts, t->partitions,
                       (size_t)t->partition_cnt * sizeof(*parts));
        qsort(parts, (size_t)t->partition_cnt, sizeof(*parts), cmp_partition);
        for (p = 0; p < t->partition_cnt; p++) {
                format_ids(replicas, sizeof(replicas), parts[p].replicas,
                           parts[p].replica_cnt);
                format_ids(isr, sizeof(isr), parts[p].isrs, parts[p].isr_cnt);
                fprintf(out, "%s%s\t%d\t%d\t%s\t%s\n", prefix, t->topic,
                        (int)parts[p].id, (int)parts[p].leader, replicas, isr);
        }
        free(parts);
}

static const struct rd_kafka_metadata_topic *
find_topic(const struct rd_kafka_metadata *md, const char *name)
{
        int i;

        for (i = 0; i < md->topic_cnt; i++)
                if (strcmp(md->topics[i].topic, name) == 0 &&
                    !md->topics[i].err)
                        return &md->topics[i];
        return NULL;
}

static const struct rd_kafka_metadata_partition *
find_partition(const struct rd_kafka_metadata_topic *t, int partition)
{
        int p;

        for (p = 0; p < t->partition_cnt; p++)
                if (t->partitions[p].id == partition)
                        return &t->partitions[p];
        return NULL;
}

static int cmd_describe(rd_kafka_t *rk, long long deadline, char **names,
                        int name_cnt)
{
        const struct rd_kafka_metadata *md = NULL;
        struct rd_kafka_metadata_topic *topics;
        rd_kafka_resp_err_t err;
        int i, ret = 0;

        err = rd_kafka_metadata(rk, 1, NULL, &md, remaining_ms(deadline));
        if (err) {
                fprintf(stderr, "kafka-admin: metadata: %s\n",
                        rd_kafka_err2str(err));
                return 1;
        }
        if (name_cnt > 0) {
                for (i = 0; i < name_cnt; i++) {
                        const struct rd_kafka_metadata_topic *t =
                            find_topic(md, names[i]);

                        if (!t) {
                                fprintf(stderr, "kafka-admin: no topic %s\n",
                                        names[i]);
                                ret = 1;
                                continue;
                        }
                        print_topic(stdout, "", t);
                }
                rd_kafka_metadata_destroy(md);
                return ret;
        }
        topics = sorted_topics(md);
        if (!topics) {
                rd_kafka_metadata_destroy(md);
                return 1;
        }
        for (i = 0; i < md->topic_cnt; i++)
                if (!topics[i].err)
                        print_topic(stdout, "", &topics[i]);
        free(topics);
        rd_kafka_metadata_destroy(md);
        return 0;
}

static int cmd_leader(rd_kafka_t *rk, long long deadline, const char *topic,
                      int partition)
{
        const struct rd_kafka_metadata *md = NULL;
        const struct rd_kafka_metadata_topic *t;
        const struct rd_kafka_metadata_partition *mp = NULL;
        rd_kafka_resp_err_t err;
        int leader = -1;

        err = rd_kafka_metadata(rk, 1, NULL, &md, remaining_ms(deadline));
        if (err) {
                fprintf(stderr, "kafka-admin: metadata: %s\n",
                        rd_kafka_err2str(err));
                return 1;
        }
        t = find_topic(md, topic);
        if (t)
                mp = find_partition(t, partition);
        if (mp)
                leader = mp->leader;
        rd_kafka_metadata_destroy(md);
        if (!mp) {
                fprintf(stderr, "kafka-admin: no partition %s [%d]\n", topic,
                        partition);
                return 1;
        }
        if (leader < 0) {
                fprintf(stderr, "kafka-admin: %s [%d] has no leader\n", topic,
                        partition);
                return 1;
        }
        printf("%d\n", leader);
        return 0;
}

/* Java's String.hashCode() of a UTF-8 string: over its UTF-16 code units,
 * in 32-bit two's complement arithmetic.  -1 when s is not UTF-8. */
static int java_hash(const char *s, int32_t *hash)
{
        const unsigned char *u = (const unsigned char *)s;
        uint32_t h = 0;

        while (*u) {
                uint32_t cp;
                int n, k;

                if (*u < 0x80) {
                        cp = *u;
                        n = 0;
                } else if ((*u & 0xe0) == 0xc0) {
                        cp = *u & 0x1f;
                        n = 1;
                } else if ((*u & 0xf0) == 0xe0) {
                        cp = *u & 0x0f;
                        n = 2;
                } else if ((*u & 0xf8) == 0xf0) {
                        cp = *u & 0x07;
                        n = 3;
                } else {
                        return -1;
                }
                for (k = 1; k <= n; k++) {
                        if ((u[k] & 0xc0) != 0x80)
                                return -1;
                        cp = cp << 6 | (u[k] & 0x3f);
                }
                u += n + 1;
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        h = 31 * h + (0xd800 + (cp >> 10));
                        h = 31 * h + (0xdc00 + (cp & 0x3ff));
                } else {
                        h = 31 * h + cp;
                }
        }
        memcpy(hash, &h, sizeof(*hash));
        return 0;
}

static int cmd_coordinator(rd_kafka_t *rk, long long deadline, const char *kind,
                           const char *id)
{
        const char *topic;
        const struct rd_kafka_metadata *md = NULL;
        const struct rd_kafka_metadata_topic *t;
        rd_kafka_resp_err_t err;
        int32_t hash;
        int partition = -1;

        if (strcmp(kind, "transaction") == 0)
                topic = "__transaction_state";
        else if (strcmp(kind, "group") == 0)
                topic = "__consumer_offsets";
        else
                return usage();
        if (java_hash(id, &hash) != 0) {
                fprintf(stderr, "kafka-admin: the id is not UTF-8\n");
                return 2;
        }
        /* Kafka's Utils.abs: Integer.MIN_VALUE maps to 0. */
        hash = hash == INT32_MIN ? 0 : (hash < 0 ? -hash : hash);

        err = rd_kafka_metadata(rk, 1, NULL, &md, remaining_ms(deadline));
        if (err) {
                fprintf(stderr, "kafka-admin: metadata: %s\n",
                        rd_kafka_err2str(err));
                return 1;
        }
        t = find_topic(md, topic);
        if (t && t->partition_cnt > 0)
                partition = (int)(hash % t->partition_cnt);
        rd_kafka_metadata_destroy(md);
        if (partition < 0) {
                fprintf(stderr, "kafka-admin: no topic %s yet\n", topic);
                return 1;
        }
        return cmd_leader(rk, deadline, topic, partition);
}

/* Prints the partitions that are not healthy to out, and returns how many
 * there are (all of them count as one when the metadata fails). */
static int unhealthy(rd_kafka_t *rk, int timeout_ms, int min_brokers, FILE *out)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        int i, p, bad = 0;

        err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
        if (err) {
                if (out)
                        fprintf(out, "kafka-admin: metadata: %s\n",
                                rd_kafka_err2str(err));
                return 1;
        }
        if (md->broker_cnt < min_brokers) {
                if (out)
                        fprintf(out, "kafka-admin: %d broker(s), not %d\n",
                                md->broker_cnt, min_brokers);
                bad++;
        }
        for (i = 0; i < md->topic_cnt; i++) {
                const struct rd_kafka_metadata_topic *t = &md->topics[i];

                if (t->err) {
                        if (out)
                                fprintf(out, "kafka-admin: %s: %s\n", t->topic,
                                        rd_kafka_err2str(t->err));
                        bad++;
                        continue;
                }
                for (p = 0; p < t->partition_cnt; p++) {
                        const struct rd_kafka_metadata_partition *mp =
                            &t->partitions[p];
                        char replicas[512], isr[512];

                        if (partition_healthy(mp))
                                continue;
                        bad++;
                        if (!out)
                                continue;
                        format_ids(replicas, sizeof(replicas), mp->replicas,
                                   mp->replica_cnt);
                        format_ids(isr, sizeof(isr), mp->isrs, mp->isr_cnt);
                        fprintf(out,
                                "kafka-admin: %s [%d]: leader %d, replicas "
                                "%s, in sync %s%s%s\n",
                                t->topic, (int)mp->id, (int)mp->leader,
                                replicas, isr, mp->err ? ", " : "",
                                mp->err ? rd_kafka_err2str(mp->err) : "");
                }
        }
        rd_kafka_metadata_destroy(md);
        return bad;
}

static int cmd_replicated(rd_kafka_t *rk, long long deadline, int min_brokers)
{
        quiet_logs = 1;
        while (remaining_ms(deadline) > 0) {
                int step = remaining_ms(deadline);

                if (step > 2000)
                        step = 2000;
                if (unhealthy(rk, step, min_brokers, NULL) == 0)
                        return 0;
                sleep_ms(POLL_STEP_MS);
        }
        fprintf(stderr, "kafka-admin: not every partition fully replicated in "
                        "time:\n");
        unhealthy(rk, 5000, min_brokers, stderr);
        return 1;
}

/* Adds one "key=value" to the properties; the text is copied. */
static int add_prop(const char *kv, const char *where)
{
        const char *eq = strchr(kv, '=');

        if (!eq || eq == kv) {
                fprintf(stderr, "kafka-admin: %s: not key=value\n", where);
                return -1;
        }
        if (nprops == MAX_PROPS) {
                fprintf(stderr, "kafka-admin: more than %d properties\n",
                        MAX_PROPS);
                return -1;
        }
        props[nprops] = strdup(kv);
        if (!props[nprops]) {
                fprintf(stderr, "kafka-admin: out of memory\n");
                return -1;
        }
        nprops++;
        return 0;
}

/* Reads a properties file: key=value lines, blank lines and # comments;
 * white space around the line is ignored, not around the '='. */
static int read_props(const char *path)
{
        char line[4096], where[4200];
        FILE *f = fopen(path, "r");
        int lineno = 0, ret = 0;

        if (!f) {
                fprintf(stderr, "kafka-admin: %s: %s\n", path, strerror(errno));
                return -1;
        }
        while (ret == 0 && fgets(line, sizeof(line), f)) {
                char *s = line, *e;

                lineno++;
                while (*s == ' ' || *s == '\t')
                        s++;
                e = s + strlen(s);
                while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
                                 e[-1] == ' ' || e[-1] == '\t'))
                        *--e = '\0';
                if (*s == '\0' || *s == '#')
                        continue;
                snprintf(where, sizeof(where), "%s:%d", path, lineno);
                ret = add_prop(s, where);
        }
        fclose(f);
        return ret;
}

static int parse_int(const char *s, int min, int max, int *out)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -1;
        *out = (int)v;
        return 0;
}

static int usage(void)
{
        fprintf(stderr,
                "usage: kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] ready "
                "[BROKERS]\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] warm\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] "
                "[-r REPLICAS] create NAME PARTITIONS [key=value]...\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] delete "
                "NAME\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] list\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] describe "
                "[TOPIC]...\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] leader "
                "TOPIC PARTITION\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] "
                "coordinator transaction|group ID\n"
                "       kafka-admin [-b BOOTSTRAP] [-t TIMEOUT_MS] replicated "
                "[BROKERS]\n"
                "Before the command, any number of -F FILE (client "
                "properties) and -X KEY=VALUE.\n");
        return 2;
}

int main(int argc, char **argv)
{
        const char *bootstrap = DEFAULT_BOOTSTRAP;
        int timeout_ms = DEFAULT_TIMEOUT_MS;
        int replicas = 1, count = 1, num = 0;
        long long deadline;
        rd_kafka_t *rk;
        const char *cmd;
        int i = 1, ret;

        while (i < argc && argv[i][0] == '-') {
                if (strcmp(argv[i], "-b") == 0 && i + 1 < argc) {
                        bootstrap = argv[i + 1];
                } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
                        if (parse_int(argv[i + 1], 1, INT_MAX / 2,
                                      &timeout_ms) != 0)
                                return usage();
                } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
                        if (parse_int(argv[i + 1], 1, 32767, &replicas) != 0)
                                return usage();
                } else if (strcmp(argv[i], "-F") == 0 && i + 1 < argc) {
                        if (read_props(argv[i + 1]))
                                return 2;
                } else if (strcmp(argv[i], "-X") == 0 && i + 1 < argc) {
                        if (add_prop(argv[i + 1], "-X"))
                                return 2;
                } else {
                        return usage();
                }
                i += 2;
        }
        if (i >= argc)
                return usage();
        cmd = argv[i++];
        deadline = now_ms() + timeout_ms;

        if (strcmp(cmd, "ready") == 0 || strcmp(cmd, "replicated") == 0) {
                if (argc - i > 1 ||
                    (argc - i == 1 && parse_int(argv[i], 1, 100000, &count)))
                        return usage();
        } else if (strcmp(cmd, "warm") == 0) {
                if (i != argc)
                        return usage();
        } else if (strcmp(cmd, "describe") == 0) {
                /* any number of topic names */
        } else if (strcmp(cmd, "leader") == 0) {
                if (argc - i != 2 || parse_int(argv[i + 1], 0, INT_MAX, &num))
                        return usage();
        } else if (strcmp(cmd, "coordinator") == 0) {
                if (argc - i != 2)
                        return usage();
        } else if (strcmp(cmd, "create") == 0) {
                int parts;

                if (argc - i < 2 || parse_int(argv[i + 1], 1, 100000, &parts))
                        return usage();
        } else if (strcmp(cmd, "delete") == 0) {
                if (argc - i != 1)
                        return usage();
        } else if (strcmp(cmd, "list") == 0) {
                if (i != argc)
                        return usage();
        } else {
                return usage();
        }

        if (strcmp(cmd, "warm") == 0)
                return cmd_warm(bootstrap, deadline);
        /* Questions about a cluster with a node down: refused connections
         * to it are expected, and each command reports its own failure. */
        if (strcmp(cmd, "describe") == 0 || strcmp(cmd, "leader") == 0 ||
            strcmp(cmd, "coordinator") == 0)
                quiet_logs = 1;
        rk = client_new(bootstrap);
        if (!rk)
                return 1;
        if (strcmp(cmd, "ready") == 0) {
                ret = cmd_ready(rk, deadline, count);
        } else if (strcmp(cmd, "replicated") == 0) {
                ret = cmd_replicated(rk, deadline, count);
        } else if (strcmp(cmd, "describe") == 0) {
                ret = cmd_describe(rk, deadline, argv + i, argc - i);
        } else if (strcmp(cmd, "leader") == 0) {
                ret = cmd_leader(rk, deadline, argv[i], num);
        } else if (strcmp(cmd, "coordinator") == 0) {
                ret = cmd_coordinator(rk, deadline, argv[i], argv[i + 1]);
        } else if (strcmp(cmd, "create") == 0) {
                int parts = atoi(argv[i + 1]);

                ret = cmd_create(rk, deadline, argv[i], parts, replicas,
                                 argv + i + 2, argc - i - 2);
        } else if (strcmp(cmd, "delete") == 0) {
                ret = cmd_delete(rk, deadline, argv[i]);
        } else {
                ret = cmd_list(rk, deadline);
        }
        rd_kafka_destroy(rk);
        return ret;
}
