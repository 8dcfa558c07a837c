/*
 * The metrics HTTP server: GET (or HEAD) /metrics -> 200 text/plain;
 * version=0.0.4 (cdr_metrics_render); /healthz and /readyz -> 200 "ok"
 * or 503 (cdr_metrics_live, cdr_metrics_ready); any other path -> 404;
 * another method on those paths -> 405.  libmicrohttpd serves it on one
 * internal thread; library code does not print, so its messages are
 * dropped.
 */
#ifndef CDRANON_METRICS_HTTP_H
#define CDRANON_METRICS_HTTP_H

#include "cdranon/metrics.h"

typedef struct cdr_metrics_server_s cdr_metrics_server_t;

/* Starts serving `metrics` (which must outlive the server) on `listen`,
 * "HOST:PORT" ("[v6addr]:PORT" for an IPv6 address; port 0: any free
 * one), bound to that address only.  Returns NULL with errstr naming the
 * address on failure (cannot resolve, cannot bind). */
cdr_metrics_server_t *cdr_metrics_server_start(cdr_metrics_t *metrics,
                                               const char *listen, char *errstr,
                                               size_t errstr_size);
/* The port the server listens on. */
int cdr_metrics_server_port(const cdr_metrics_server_t *server);
/* Stops the server thread and frees the server.  NULL: no-op. */
void cdr_metrics_server_stop(cdr_metrics_server_t *server);

#endif
