/*
 * The fixed custodian key of the sealed-record fuzz target and its seed
 * generator: the worked example's test key pair of docs/sealed-format.md,
 * which is never used for anything real.
 */
#ifndef CDRANON_FUZZ_UNSEAL_H
#define CDRANON_FUZZ_UNSEAL_H

#include <stdint.h>

static const uint8_t FUZZ_UNSEAL_SK[32] = {
    0x91, 0xf7, 0xa4, 0x67, 0xdf, 0x4e, 0xf9, 0x70, 0x53, 0xec, 0x2a,
    0x47, 0xb6, 0xe6, 0x19, 0xf6, 0x32, 0xdf, 0x95, 0x47, 0xbb, 0x00,
    0x9f, 0xd0, 0xbc, 0xc7, 0x47, 0x90, 0x9f, 0x1b, 0x7b, 0xd4,
};

/* Its key id (docs/sealed-format.md, example:key-id). */
#define FUZZ_UNSEAL_KEY_ID "01520b9fd72dc69a"

#endif
