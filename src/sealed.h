/*
 * The sealed-record format, version 1, shared by the sealer (seal.c) and
 * the opener (unseal.c).  docs/sealed-format.md is the normative text;
 * these constants must match it.
 */
#ifndef CDRANON_SEALED_H
#define CDRANON_SEALED_H

#include "cdranon/hpke.h"
#include "cdranon/seal.h"

#define SEALED_MAGIC     "CDRS"
#define SEALED_MAGIC_LEN 4

/* Source kinds (header byte 5). */
#define SEALED_SOURCE_NONE  0
#define SEALED_SOURCE_FILE  1
#define SEALED_SOURCE_KAFKA 2

/* magic, version, source kind, key id, enc, counter */
#define SEALED_OFF_VERSION 4
#define SEALED_OFF_KIND    5
#define SEALED_OFF_KEY_ID  6
#define SEALED_OFF_ENC     (SEALED_OFF_KEY_ID + CDR_KEY_ID_LEN)
#define SEALED_OFF_COUNTER (SEALED_OFF_ENC + CDR_HPKE_NENC)
#define SEALED_FIXED_LEN   (SEALED_OFF_COUNTER + 8)

#define SEALED_TAG_LEN     16
#define SEALED_PREFIX_LEN  4
#define SEALED_NAME_MAX    65535
#define SEALED_RECORD_MAX  CDR_SEALED_RECORD_MAX
#define SEALED_UPDATE_MAX  ((size_t)1 << 30)   /* EVP lengths are int */
#define SEALED_COUNTER_END ((uint64_t)1 << 32) /* counters stay below */

/* HPKE parameters: suite (X25519, HKDF-SHA256, Export-only), base mode. */
#define SEALED_HPKE_AEAD    CDR_HPKE_AEAD_EXPORT_ONLY
#define SEALED_INFO         "cdranon sealed v1"
#define SEALED_LABEL_KEY    "cdranon sealed v1 data key"
#define SEALED_LABEL_PREFIX "cdranon sealed v1 nonce prefix"

#endif
