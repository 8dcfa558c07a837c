/*
 * Listen addresses "HOST:PORT" ("[v6addr]:PORT" for an IPv6 address),
 * as `metrics.listen` takes them: checked by the configuration, bound by
 * the metrics server.
 */
#ifndef CDRANON_LISTEN_H
#define CDRANON_LISTEN_H

#include "cdranon/common.h"

/* Splits `addr` into host (without brackets) and port, NUL-terminated,
 * without resolving anything.  Returns 0 or CDR_ERR_INVAL with errstr
 * saying what is wrong. */
int cdr_listen_split(const char *addr, char *host, size_t host_size, char *port,
                     size_t port_size, char *errstr,
                     size_t errstr_size) CDR_MUST_CHECK;

/* Checks `addr` as cdr_listen_split does.  Returns 0 or CDR_ERR_INVAL
 * with errstr saying what is wrong. */
int cdr_listen_check(const char *addr, char *errstr,
                     size_t errstr_size) CDR_MUST_CHECK;

#endif
