/*
 * The metrics HTTP server (libmicrohttpd, one internal polling thread):
 * see metrics_http.h.
 */
#include "cdranon/metrics_http.h"
#include "cdranon/listen.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct cdr_metrics_server_s {
        cdr_metrics_t *metrics;
        struct MHD_Daemon *daemon;
        int port;
};

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT    "text/plain; charset=utf-8"
#define CONNECTIONS_MAX      32
#define CONNECTION_TIMEOUT_S 10

static enum MHD_Result respond(struct MHD_Connection *connection,
                               unsigned status, const char *type,
                               const char *body, size_t len, int allow)
{
        struct MHD_Response *response;
        enum MHD_Result ret;

        response = MHD_create_response_from_buffer(len, (void *)body,
                                                   MHD_RESPMEM_MUST_COPY);
        if (response == NULL)
                return MHD_NO;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
                                "no-store");
        if (allow)
                MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
                                        "GET, HEAD");
        ret = MHD_queue_response(connection, status, response);
        MHD_destroy_response(response);
        return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *connection,
                                    unsigned status, const char *text,
                                    int allow)
{
        return respond(connection, status, CONTENT_TYPE_TEXT, text,
                       strlen(text), allow);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
        cdr_metrics_server_t *server = cls;
        cdr_buf_t out = CDR_BUF_INIT;
        enum MHD_Result ret;
        int get, ok;

        (void)version;
        (void)upload_data;
        (void)con_cls;
        get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
              strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        if (strcmp(url, "/metrics") != 0 && strcmp(url, "/healthz") != 0 &&
            strcmp(url, "/readyz") != 0)
                return respond_text(connection, MHD_HTTP_NOT_FOUND,
                                    "not found\n", 0);
        if (!get) {
                /* A body, if any, is not read: the connection closes. */
                *upload_data_size = 0;
                return respond_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                                    "method not allowed\n", 1);
        }
        if (strcmp(url, "/healthz") == 0) {
                ok = cdr_metrics_live(server->metrics);
                return respond_text(
                    connection, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                    ok ? "ok\n" : "not running\n", 0);
        }
        if (strcmp(url, "/readyz") == 0) {
                ok = cdr_metrics_ready(server->metrics);
                return respond_text(
                    connection, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                    ok ? "ok\n" : "not ready\n", 0);
        }
        if (cdr_metrics_render(server->metrics, &out) != CDR_OK) {
                free(out.data);
                return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                    "out of memory\n", 0);
        }
        ret = respond(connection, MHD_HTTP_OK, CONTENT_TYPE_METRICS,
                      out.data != NULL ? out.data : "", out.len, 0);
        free(out.data);
        return ret;
}

/* libmicrohttpd's own messages: library code does not print. */
static void quiet_log(void *cls, const char *fmt, va_list ap)
{
        (void)cls;
        (void)fmt;
        (void)ap;
}

/* A listening socket bound to the first address of addr that binds. */
static int bind_listen(const char *addr, int *port, char *errstr,
                       size_t errstr_size)
{
        struct addrinfo hints, *res = NULL, *ai;
        struct sockaddr_storage ss;
        socklen_t sslen = sizeof(ss);
        char host[256], portstr[8];
        int fd = -1, err = 0, one = 1, rc;

        if (cdr_listen_split(addr, host, sizeof(host), portstr, sizeof(portstr),
                             errstr, errstr_size) != CDR_OK)
                return -1;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        rc = getaddrinfo(host, portstr, &hints, &res);
        if (rc != 0) {
                cdr_errf(errstr, errstr_size, "cannot resolve %s: %s", host,
                         gai_strerror(rc));
                return -1;
        }
        for (ai = res; ai != NULL; ai = ai->ai_next) {
                fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                            ai->ai_protocol);
                if (fd < 0) {
                        err = errno;
                        continue;
                }
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                    listen(fd, 64) == 0)
                        break;
                err = errno;
                close(fd);
                fd = -1;
        }
        freeaddrinfo(res);
        if (fd < 0) {
                cdr_errf(errstr, errstr_size, "cannot listen: %s",
                         strerror(err));
                return -1;
        }
        *port = 0;
        if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
                if (ss.ss_family == AF_INET)
                        *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
                else if (ss.ss_family == AF_INET6)
                        *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        return fd;
}

cdr_metrics_server_t *cdr_metrics_server_start(cdr_metrics_t *metrics,
                                               const char *addr, char *errstr,
                                               size_t errstr_size)
{
        cdr_metrics_server_t *server;
        int fd;

        server = calloc(1, sizeof(*server));
        if (server == NULL) {
                cdr_errf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        server->metrics = metrics;
        fd = bind_listen(addr, &server->port, errstr, errstr_size);
        if (fd < 0)
                goto err;
        server->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
            handle, server, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
            MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL, MHD_OPTION_END);
        if (server->daemon == NULL) {
                close(fd);
                cdr_errf(errstr, errstr_size, "cannot start the HTTP server");
                goto err;
        }
        return server;

err:
        cdr_err_prefix(errstr, errstr_size, "metrics.listen %s: ", addr);
        free(server);
        return NULL;
}

int cdr_metrics_server_port(const cdr_metrics_server_t *server)
{
        return server->port;
}

void cdr_metrics_server_stop(cdr_metrics_server_t *server)
{
        if (server == NULL)
                return;
        MHD_stop_daemon(server->daemon);
        free(server);
}
