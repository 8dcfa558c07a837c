/* Listen addresses: see listen.h. */
#include "cdranon/listen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cdr_listen_split(const char *addr, char *host, size_t host_size, char *port,
                     size_t port_size, char *errstr, size_t errstr_size)
{
        const char *colon, *h = addr;
        size_t hn, i;
        long v;

        if (addr == NULL || addr[0] == '\0') {
                cdr_errf(errstr, errstr_size, "empty address");
                return CDR_ERR_INVAL;
        }
        colon = strrchr(addr, ':');
        if (colon == NULL) {
                cdr_errf(errstr, errstr_size,
                         "expected HOST:PORT (127.0.0.1:9464)");
                return CDR_ERR_INVAL;
        }
        hn = (size_t)(colon - addr);
        if (addr[0] == '[') {
                if (hn < 3 || addr[hn - 1] != ']') {
                        cdr_errf(errstr, errstr_size,
                                 "expected [IPV6]:PORT for an IPv6 address");
                        return CDR_ERR_INVAL;
                }
                h = addr + 1;
                hn -= 2;
        } else if (memchr(addr, ':', hn) != NULL) {
                cdr_errf(errstr, errstr_size,
                         "an IPv6 address goes in brackets: [::1]:9464");
                return CDR_ERR_INVAL;
        }
        if (hn == 0) {
                cdr_errf(errstr, errstr_size,
                         "no host (0.0.0.0 listens on every address)");
                return CDR_ERR_INVAL;
        }
        if (hn >= host_size) {
                cdr_errf(errstr, errstr_size, "host name too long");
                return CDR_ERR_INVAL;
        }
        colon++;
        for (i = 0; colon[i] != '\0'; i++)
                if (colon[i] < '0' || colon[i] > '9')
                        break;
        v = i > 0 && i <= 5 && colon[i] == '\0' ? strtol(colon, NULL, 10) : -1;
        if (v < 0 || v > 65535) {
                cdr_errf(errstr, errstr_size, "port must be 0-65535");
                return CDR_ERR_INVAL;
        }
        memcpy(host, h, hn);
        host[hn] = '\0';
        snprintf(port, port_size, "%ld", v);
        return CDR_OK;
}

int cdr_listen_check(const char *addr, char *errstr, size_t errstr_size)
{
        char host[256], port[8];

        return cdr_listen_split(addr, host, sizeof(host), port, sizeof(port),
                                errstr, errstr_size);
}
