/*
 * HPKE known answers: RFC 9180 Appendix A.1.1 (DHKEM(X25519,
 * HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode) and A.7.1 (the same
 * KEM and KDF with the Export-only AEAD), bit for bit; low-order points;
 * round trips and failures.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cdranon/hpke.h"
#include "seal_kat.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
        size_t n = strlen(hex) / 2, i;

        cr_assert(strlen(hex) % 2 == 0, "odd hex string");
        cr_assert(n <= cap, "hex string too long");
        for (i = 0; i < n; i++) {
                unsigned v;
                cr_assert(sscanf(hex + 2 * i, "%2x", &v) == 1);
                out[i] = (uint8_t)v;
        }
        return n;
}

#define assert_hex_eq(bytes, len, hex)                                         \
        do {                                                                   \
                uint8_t want_[512];                                            \
                size_t wn_ = unhex((hex), want_, sizeof(want_));               \
                cr_assert_eq((len), wn_, "length %zu, want %zu",               \
                             (size_t)(len), wn_);                              \
                cr_assert(memcmp((bytes), want_, wn_) == 0, "%s differs",      \
                          #bytes);                                             \
        } while (0)

/* RFC 9180 A.1.1. */
static const char *a1_info = "4f6465206f6e2061204772656369616e2055726e";
static const char *a1_ikmE =
    "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234";
static const char *a1_pkEm =
    "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
static const char *a1_skEm =
    "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736";
static const char *a1_ikmR =
    "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037";
static const char *a1_pkRm =
    "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
static const char *a1_skRm =
    "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
static const char *a1_enc =
    "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
static const char *a1_shared_secret =
    "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc";
static const char *a1_key = "4531685d41d65f03dc48f6b8302c05b0";
static const char *a1_base_nonce = "56d890e5accaaf011cff4b7d";
static const char *a1_exporter_secret =
    "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8";
static const char *a1_pt =
    "4265617574792069732074727574682c20747275746820626561757479";

static const struct {
        uint64_t seq;
        const char *aad;
        const char *nonce;
        const char *ct;
} a1_encryptions[] = {
    {0, "436f756e742d30", "56d890e5accaaf011cff4b7d",
     "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
     "6d8770ac83d07bea87e13c512a"},
    {1, "436f756e742d31", "56d890e5accaaf011cff4b7c",
     "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab25"
     "1c03d0c22a56b8ca42c2063b84"},
    {2, "436f756e742d32", "56d890e5accaaf011cff4b7f",
     "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb7251649158"
     "8d96a19ad4a683518973dcc180"},
    {4, "436f756e742d34", "56d890e5accaaf011cff4b79",
     "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a"
     "09fc0012bc69fccaa251c0246d"},
    {255, "436f756e742d323535", "56d890e5accaaf011cff4b82",
     "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505b"
     "f106deefec4a49ac38d71c9e0a"},
    {256, "436f756e742d323536", "56d890e5accaaf011cff4a7d",
     "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3"
     "fbeda97d2e0e1aba483a2df9f2"},
};

struct export_vector {
        const char *context;
        const char *value;
};

static const struct export_vector a1_exports[] = {
    {"", "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"},
    {"00", "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5"},
    {"54657374436f6e74657874",
     "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931"},
};

/* RFC 9180 A.7.1 (Export-only AEAD). */
static const char *a7_ikmE =
    "55bc245ee4efda25d38f2d54d5bb6665291b99f8108a8c4b686c2b14893ea5d9";
static const char *a7_pkEm =
    "e5e8f9bfff6c2f29791fc351d2c25ce1299aa5eaca78a757c0b4fb4bcd830918";
static const char *a7_ikmR =
    "683ae0da1d22181e74ed2e503ebf82840deb1d5e872cade20f4b458d99783e31";
static const char *a7_pkRm =
    "194141ca6c3c3beb4792cd97ba0ea1faff09d98435012345766ee33aae2d7664";
static const char *a7_skRm =
    "33d196c830a12f9ac65d6e565a590d80f04ee9b19c83c87f2c170d972a812848";
static const char *a7_shared_secret =
    "e81716ce8f73141d4f25ee9098efc968c91e5b8ce52ffff59d64039e82918b66";
static const char *a7_exporter_secret =
    "79dc8e0509cf4a3364ca027e5a0138235281611ca910e435e8ed58167c72f79b";
static const struct export_vector a7_exports[] = {
    {"", "7a36221bd56d50fb51ee65edfd98d06a23c4dc87085aa5866cb7087244bd2a36"},
    {"00", "d5535b87099c6c3ce80dc112a2671c6ec8e811a2f284f948cec6dd1708ee33f0"},
    {"54657374436f6e74657874",
     "ffaabc85a776136ca0c378e5d084c9140ab552b78f039d2e8775f26efff4c70e"},
};

static void check_exports(const cdr_hpke_ctx_t *ctx,
                          const struct export_vector *v, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                uint8_t context[64], out[32];
                size_t len = unhex(v[i].context, context, sizeof(context));

                cr_assert_eq(cdr_hpke_export(ctx, context, len, out, 32), 0);
                assert_hex_eq(out, 32, v[i].value);
        }
}

Test(hpke, derive_keypair_a1)
{
        uint8_t ikm[32], sk[32], pk[32];

        unhex(a1_ikmE, ikm, sizeof(ikm));
        cr_assert_eq(cdr_hpke_derive_keypair(ikm, 32, sk, pk), 0);
        assert_hex_eq(sk, 32, a1_skEm);
        assert_hex_eq(pk, 32, a1_pkEm);

        unhex(a1_ikmR, ikm, sizeof(ikm));
        cr_assert_eq(cdr_hpke_derive_keypair(ikm, 32, sk, pk), 0);
        assert_hex_eq(sk, 32, a1_skRm);
        assert_hex_eq(pk, 32, a1_pkRm);
}

Test(hpke, encap_decap_a1)
{
        uint8_t ikmE[32], pkR[32], skR[32], ss[32], enc[32];

        unhex(a1_ikmE, ikmE, sizeof(ikmE));
        unhex(a1_pkRm, pkR, sizeof(pkR));
        unhex(a1_skRm, skR, sizeof(skR));
        cr_assert_eq(cdr_hpke_encap_deterministic(pkR, ikmE, 32, ss, enc), 0);
        assert_hex_eq(enc, 32, a1_enc);
        assert_hex_eq(ss, 32, a1_shared_secret);

        memset(ss, 0, sizeof(ss));
        cr_assert_eq(cdr_hpke_decap(enc, skR, ss), 0);
        assert_hex_eq(ss, 32, a1_shared_secret);
}

Test(hpke, key_schedule_encryptions_exports_a1)
{
        uint8_t ikmE[32], pkR[32], skR[32], enc[32], info[64], pt[64];
        uint8_t ct[128], back[128], nonce[12];
        cdr_hpke_ctx_t sender, receiver;
        size_t info_len, pt_len, i, next = 0;
        uint64_t seq;

        unhex(a1_ikmE, ikmE, sizeof(ikmE));
        unhex(a1_pkRm, pkR, sizeof(pkR));
        unhex(a1_skRm, skR, sizeof(skR));
        info_len = unhex(a1_info, info, sizeof(info));
        pt_len = unhex(a1_pt, pt, sizeof(pt));

        cr_assert_eq(cdr_hpke_setup_base_s_deterministic(
                         &sender, CDR_HPKE_AEAD_AES128GCM, pkR, info, info_len,
                         ikmE, 32, enc),
                     0);
        assert_hex_eq(enc, 32, a1_enc);
        cr_assert_eq(sender.nk, 16);
        assert_hex_eq(sender.key, 16, a1_key);
        assert_hex_eq(sender.base_nonce, 12, a1_base_nonce);
        assert_hex_eq(sender.exporter_secret, 32, a1_exporter_secret);

        cr_assert_eq(cdr_hpke_setup_base_r(&receiver, CDR_HPKE_AEAD_AES128GCM,
                                           enc, skR, info, info_len),
                     0);
        assert_hex_eq(receiver.key, 16, a1_key);
        assert_hex_eq(receiver.base_nonce, 12, a1_base_nonce);
        assert_hex_eq(receiver.exporter_secret, 32, a1_exporter_secret);

        /* Every sequence number up to 256 is used in order, as the
         * vectors' contexts did; the listed ones are compared. */
        for (seq = 0; seq <= 256; seq++) {
                uint8_t aad[32];
                size_t aad_len;
                const char *aad_hex = "00";
                int listed =
                    next < sizeof(a1_encryptions) / sizeof(a1_encryptions[0]) &&
                    a1_encryptions[next].seq == seq;

                if (listed)
                        aad_hex = a1_encryptions[next].aad;
                aad_len = unhex(aad_hex, aad, sizeof(aad));
                cr_assert_eq(sender.seq, seq);
                cr_assert_eq(
                    cdr_hpke_seal(&sender, aad, aad_len, pt, pt_len, ct), 0);
                memset(back, 0, sizeof(back));
                cr_assert_eq(cdr_hpke_open(&receiver, aad, aad_len, ct,
                                           pt_len + 16, back),
                             0);
                cr_assert(memcmp(back, pt, pt_len) == 0);
                if (!listed)
                        continue;
                memcpy(nonce, sender.base_nonce, 12);
                for (i = 0; i < 8; i++)
                        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
                assert_hex_eq(nonce, 12, a1_encryptions[next].nonce);
                assert_hex_eq(ct, pt_len + 16, a1_encryptions[next].ct);
                next++;
        }
        cr_assert_eq(next, sizeof(a1_encryptions) / sizeof(a1_encryptions[0]));

        check_exports(&sender, a1_exports, 3);
        check_exports(&receiver, a1_exports, 3);
        cdr_hpke_ctx_wipe(&sender);
        cdr_hpke_ctx_wipe(&receiver);
}

Test(hpke, export_only_a7)
{
        uint8_t ikmE[32], ikmR[32], pkR[32], skR[32], sk[32], pk[32];
        uint8_t enc[32], ss[32], info[64], ct[64];
        cdr_hpke_ctx_t sender, receiver;
        size_t info_len;

        unhex(a7_ikmE, ikmE, sizeof(ikmE));
        unhex(a7_ikmR, ikmR, sizeof(ikmR));
        unhex(a7_pkRm, pkR, sizeof(pkR));
        unhex(a7_skRm, skR, sizeof(skR));
        info_len = unhex(a1_info, info, sizeof(info));

        cr_assert_eq(cdr_hpke_derive_keypair(ikmR, 32, sk, pk), 0);
        assert_hex_eq(sk, 32, a7_skRm);
        assert_hex_eq(pk, 32, a7_pkRm);

        cr_assert_eq(cdr_hpke_encap_deterministic(pkR, ikmE, 32, ss, enc), 0);
        assert_hex_eq(enc, 32, a7_pkEm);
        assert_hex_eq(ss, 32, a7_shared_secret);

        cr_assert_eq(cdr_hpke_setup_base_s_deterministic(
                         &sender, CDR_HPKE_AEAD_EXPORT_ONLY, pkR, info,
                         info_len, ikmE, 32, enc),
                     0);
        cr_assert_eq(sender.nk, 0);
        assert_hex_eq(sender.exporter_secret, 32, a7_exporter_secret);
        check_exports(&sender, a7_exports, 3);

        cr_assert_eq(cdr_hpke_setup_base_r(&receiver, CDR_HPKE_AEAD_EXPORT_ONLY,
                                           enc, skR, info, info_len),
                     0);
        assert_hex_eq(receiver.exporter_secret, 32, a7_exporter_secret);
        check_exports(&receiver, a7_exports, 3);

        /* An Export-only context has no Seal or Open. */
        cr_assert_eq(cdr_hpke_seal(&sender, NULL, 0, "x", 1, ct),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_hpke_open(&receiver, NULL, 0, ct, 17, ct + 20),
                     CDR_ERR_INVAL);
}

/* X25519 points of order 1, 2, 4 and 8, in canonical and non-canonical
 * encodings, and the same with the ignored top bit set: each makes the
 * Diffie-Hellman output all zero whatever the private key. */
static const char *low_order_points[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

Test(hpke, low_order_points_rejected)
{
        uint8_t skR[32], point[32], ss[32], enc[32], ikmE[32];
        cdr_hpke_ctx_t ctx;
        size_t i;

        unhex(a1_skRm, skR, sizeof(skR));
        unhex(a1_ikmE, ikmE, sizeof(ikmE));
        for (i = 0; i < sizeof(low_order_points) / sizeof(char *); i++) {
                unhex(low_order_points[i], point, sizeof(point));
                cr_assert_eq(cdr_hpke_encap(point, ss, enc), CDR_ERR_INVAL,
                             "point %zu accepted as pkR", i);
                cr_assert_eq(
                    cdr_hpke_encap_deterministic(point, ikmE, 32, ss, enc),
                    CDR_ERR_INVAL, "point %zu accepted as pkR", i);
                cr_assert_eq(cdr_hpke_decap(point, skR, ss), CDR_ERR_INVAL,
                             "point %zu accepted as enc", i);
                cr_assert_eq(cdr_hpke_setup_base_s(&ctx,
                                                   CDR_HPKE_AEAD_EXPORT_ONLY,
                                                   point, "", 0, enc),
                             CDR_ERR_INVAL);
                cr_assert_eq(cdr_hpke_setup_base_r(&ctx,
                                                   CDR_HPKE_AEAD_AES256GCM,
                                                   point, skR, "", 0),
                             CDR_ERR_INVAL);
        }
        /* A neighbour of a low-order point is an ordinary public key. */
        unhex(low_order_points[2], point, sizeof(point));
        point[0] ^= 1;
        cr_assert_eq(cdr_hpke_encap(point, ss, enc), 0);
}

Test(hpke, aes256gcm_round_trip_and_tamper)
{
        uint8_t sk[32], pk[32], ikm[32], enc[32], pt[1000], ct[1016],
            back[1000];
        cdr_hpke_ctx_t sender, receiver;
        size_t len, i;

        memset(ikm, 0x5a, sizeof(ikm));
        cr_assert_eq(cdr_hpke_derive_keypair(ikm, sizeof(ikm), sk, pk), 0);
        cr_assert_eq(cdr_hpke_setup_base_s(&sender, CDR_HPKE_AEAD_AES256GCM, pk,
                                           "info", 4, enc),
                     0);
        cr_assert_eq(sender.nk, 32);
        cr_assert_eq(cdr_hpke_setup_base_r(&receiver, CDR_HPKE_AEAD_AES256GCM,
                                           enc, sk, "info", 4),
                     0);
        cr_assert(memcmp(sender.key, receiver.key, 32) == 0);
        for (i = 0; i < sizeof(pt); i++)
                pt[i] = (uint8_t)(i * 7);
        for (len = 0; len <= sizeof(pt); len += 125) {
                cr_assert_eq(cdr_hpke_seal(&sender, "aad", 3, pt, len, ct), 0);
                ct[len / 2] ^= 0x01; /* ciphertext or tag */
                cr_assert_eq(
                    cdr_hpke_open(&receiver, "aad", 3, ct, len + 16, back),
                    CDR_ERR_AUTH);
                ct[len / 2] ^= 0x01;
                cr_assert_eq(
                    cdr_hpke_open(&receiver, "aaD", 3, ct, len + 16, back),
                    CDR_ERR_AUTH);
                cr_assert_eq(
                    cdr_hpke_open(&receiver, "aad", 3, ct, len + 16, back), 0);
                cr_assert(len == 0 || memcmp(back, pt, len) == 0);
        }
        /* Out of order: the receiver expects the next sequence number. */
        cr_assert_eq(cdr_hpke_seal(&sender, NULL, 0, pt, 10, ct), 0);
        cr_assert_eq(cdr_hpke_seal(&sender, NULL, 0, pt, 10, ct), 0);
        cr_assert_eq(cdr_hpke_open(&receiver, NULL, 0, ct, 26, back),
                     CDR_ERR_AUTH);
        cr_assert_eq(cdr_hpke_open(&receiver, NULL, 0, ct, 15, back),
                     CDR_ERR_AUTH);

        /* Another recipient key derives another context. */
        ikm[0] ^= 1;
        cr_assert_eq(cdr_hpke_derive_keypair(ikm, sizeof(ikm), sk, pk), 0);
        cr_assert_eq(cdr_hpke_setup_base_r(&receiver, CDR_HPKE_AEAD_AES256GCM,
                                           enc, sk, "info", 4),
                     0);
        cr_assert(memcmp(sender.key, receiver.key, 32) != 0);
        cr_assert(
            memcmp(sender.exporter_secret, receiver.exporter_secret, 32) != 0);
}

Test(hpke, argument_limits)
{
        uint8_t ss[32] = {1}, out[255 * 32 + 1];
        static uint8_t big[CDR_HPKE_INFO_MAX + 1];
        cdr_hpke_ctx_t ctx;

        cr_assert_eq(cdr_hpke_key_schedule(&ctx, 0x0003, ss, "", 0),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_hpke_key_schedule(&ctx, CDR_HPKE_AEAD_EXPORT_ONLY, ss,
                                           big, sizeof(big)),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_hpke_key_schedule(&ctx, CDR_HPKE_AEAD_EXPORT_ONLY, ss,
                                           big, sizeof(big) - 1),
                     0);
        cr_assert_eq(cdr_hpke_export(&ctx, "", 0, out, 0), CDR_ERR_INVAL);
        cr_assert_eq(cdr_hpke_export(&ctx, "", 0, out, 255 * 32), 0);
        cr_assert_eq(cdr_hpke_export(&ctx, "", 0, out, 255 * 32 + 1),
                     CDR_ERR_INVAL);
        cr_assert_eq(cdr_hpke_export(&ctx, big, sizeof(big), out, 32),
                     CDR_ERR_INVAL);
        ctx.nk = 32;
        ctx.seq = UINT64_MAX;
        cr_assert_eq(cdr_hpke_seal(&ctx, NULL, 0, "x", 1, out), CDR_ERR_INVAL);
}
