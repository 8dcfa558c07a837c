/*
 * Small helpers every layer may use: a monotonic clock, a sleep that
 * survives signals, and a write that finishes.
 */
#ifndef CDRANON_UTIL_H
#define CDRANON_UTIL_H

#include "cdranon/common.h"

/* Milliseconds of CLOCK_MONOTONIC: for intervals and deadlines, never
 * for wall-clock time. */
int64_t cdr_now_ms(void);

/* Sleeps ms milliseconds, resuming after a signal handler ran. */
void cdr_sleep_ms(int ms);

/* Writes all n bytes of p to fd, retrying after EINTR and short writes.
 * Returns 0, or -1 with errno set. */
int cdr_write_all(int fd, const void *p, size_t n) CDR_MUST_CHECK;

#endif
