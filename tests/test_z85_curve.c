/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of zmq_z85_encode / zmq_z85_decode (RFC 32) and of the
 * CURVE key helpers zmq_curve_keypair / zmq_curve_public.
 *
 * Known answers: the RFC 32 "HelloWorld" vector, the four keys of the
 * zmq_curve man page (also used by libzmq's own tests) and the RFC 7748
 * section 6.1 X25519 vectors.  The raw bytes of the man page keys were
 * decoded with an independent Z85 implementation.
 */
#include <stdint.h>
#include <zmq.h>

#include "testutil.h"

/* The Z85 alphabet as printed in RFC 32: digit i is ALPHABET[i]. */
static const char ALPHABET[] = "0123456789"
                               "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               ".-:+=^!/*?&<>()[]{}@%$#";

static int in_alphabet(int ch)
{
    return ch != '\0' && strchr(ALPHABET, ch) != NULL;
}

static int all_in_alphabet(const char *s)
{
    for (; *s; s++)
        if (!in_alphabet((unsigned char)*s))
            return 0;
    return 1;
}

/* Parses 2*n hex digits into n bytes. */
static void from_hex(uint8_t *out, const char *hex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

/* A small deterministic generator so failures reproduce. */
static uint32_t rng_state = 12345u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* ------------------------------------------------------------------------ */
/* Z85                                                                      */
/* ------------------------------------------------------------------------ */

static void z85_rfc32_hello_world(void)
{
    const uint8_t data[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    memset(text, 'x', sizeof text);
    CHECK(zmq_z85_encode(text, data, sizeof data) == text);
    CHECK(strcmp(text, "HelloWorld") == 0);

    uint8_t back[8];
    memset(back, 0, sizeof back);
    CHECK(zmq_z85_decode(back, "HelloWorld") == back);
    CHECK(memcmp(back, data, sizeof data) == 0);
}

/* The zmq_curve man page keys: Z85 text and the bytes it stands for. */
static const struct {
    const char *z85;
    const char *hex;
} man_keys[] = {
    {"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
     "bb88471d65e2659b30c55a5321cebb5aab2b70a398645c26dca2b2fcb43fc518"},
    {"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
     "7bb864b489afa3671fbe69101f94b38972f24816dfb01b51656b3fec8dfd0888"},
    {"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
     "54fcba24e93249969316fb617c872bb0c1d1ff14800427c594cbfacf1bc2d652"},
    {"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
     "8e0bdd697628b91d8f245587ee95c5b04d48963f79259877b49cd9063aead3b7"},
};

static void z85_key_vectors(void)
{
    for (size_t k = 0; k < sizeof man_keys / sizeof man_keys[0]; k++) {
        uint8_t expect[32], got[32];
        from_hex(expect, man_keys[k].hex, 32);

        memset(got, 0, sizeof got);
        CHECK(zmq_z85_decode(got, man_keys[k].z85) == got);
        CHECK(memcmp(got, expect, 32) == 0);

        char text[41];
        CHECK(zmq_z85_encode(text, expect, 32) == text);
        CHECK(strcmp(text, man_keys[k].z85) == 0);
    }
}

static void z85_encode_sizes(void)
{
    /* Size 0 gives the empty string, with or without data. */
    char text[64];
    const uint8_t data[32] = {0};
    memset(text, 'x', sizeof text);
    CHECK(zmq_z85_encode(text, data, 0) == text);
    CHECK_EQ(text[0], '\0');
    CHECK_EQ(text[1], 'x');
    memset(text, 'x', sizeof text);
    CHECK(zmq_z85_encode(text, NULL, 0) == text);
    CHECK_EQ(text[0], '\0');

    /* Sizes 4, 8 and 32: size * 5 / 4 characters and a NUL, nothing
     * written past it. */
    const size_t sizes[] = {4, 8, 32};
    for (size_t i = 0; i < 3; i++) {
        size_t n = sizes[i];
        memset(text, 'x', sizeof text);
        CHECK(zmq_z85_encode(text, data, n) == text);
        CHECK_EQ(strlen(text), n * 5 / 4);
        CHECK_EQ(text[n * 5 / 4 + 1], 'x');
        /* All-zero bytes are all-'0' digits. */
        for (size_t j = 0; j < n * 5 / 4; j++)
            CHECK_EQ(text[j], '0');
    }

    /* The largest group: 2^32-1 is "%nSc0". */
    const uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
    CHECK(zmq_z85_encode(text, ones, 4) == text);
    CHECK(strcmp(text, "%nSc0") == 0);
    /* Big-endian: 0x00000001 is "00001", 0x01000000 is 85^4 ... */
    const uint8_t one[4] = {0, 0, 0, 1};
    CHECK(zmq_z85_encode(text, one, 4) == text);
    CHECK(strcmp(text, "00001") == 0);
    /* 85 = "00010" */
    const uint8_t e85[4] = {0, 0, 0, 85};
    CHECK(zmq_z85_encode(text, e85, 4) == text);
    CHECK(strcmp(text, "00010") == 0);
}

static void z85_encode_bad_size(void)
{
    char text[64];
    const uint8_t data[40] = {0};
    const size_t bad[] = {1, 2, 3, 5, 6, 7, 9, 31, 33, 39};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_NULL_ERR(zmq_z85_encode(text, data, bad[i]), EINVAL);
}

static void z85_encode_null(void)
{
    const uint8_t data[4] = {1, 2, 3, 4};
    char text[8];
    CHECK_NULL_ERR(zmq_z85_encode(NULL, data, 4), EINVAL);
    CHECK_NULL_ERR(zmq_z85_encode(NULL, data, 0), EINVAL);
    CHECK_NULL_ERR(zmq_z85_encode(text, NULL, 4), EINVAL);
}

static void z85_decode_bad_length(void)
{
    uint8_t out[16];
    const char *bad[] = {"0",      "00",        "000",        "0000",
                         "000000", "HelloWorl", "HelloWorld0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_NULL_ERR(zmq_z85_decode(out, bad[i]), EINVAL);

    /* Length 0 is a multiple of 5: nothing to decode, success. */
    CHECK(zmq_z85_decode(out, "") == out);
}

/* Each character is rejected in every position of either group. */
static void check_bad_char(int ch)
{
    uint8_t out[8];
    for (int pos = 0; pos < 10; pos++) {
        char text[11];
        memcpy(text, "HelloWorld", 11);
        text[pos] = (char)ch;
        errno = 0;
        uint8_t *r = zmq_z85_decode(out, text);
        int e = errno;
        if (r != NULL || e != EINVAL) {
            fprintf(stderr,
                    "bad char 0x%02x at %d: returned %p errno %d,"
                    " wanted NULL EINVAL\n",
                    ch, pos, (void *)r, e);
            test_failed_ = 1;
        }
    }
}

static void z85_decode_bad_chars(void)
{
    const int bad[] = {' ', '"',  '\'', ',',  ';',  '\\', '_',  '`', '|',
                       '~', 0x7f, 0x80, 0xa0, 0xff, '\t', '\n', 0x01};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_bad_char(bad[i]);

    /* Exhaustively: every byte outside the alphabet (NUL ends the
     * string, so it only shortens it). */
    int rejected = 0;
    for (int ch = 1; ch < 256; ch++) {
        if (in_alphabet(ch))
            continue;
        check_bad_char(ch);
        rejected++;
    }
    CHECK_EQ(rejected, 255 - 85);
}

static void z85_decode_overflow(void)
{
    uint8_t out[8];
    /* 2^32-1 is the largest value a group may hold ... */
    memset(out, 0, sizeof out);
    CHECK(zmq_z85_decode(out, "%nSc0") == out);
    CHECK(out[0] == 0xff && out[1] == 0xff && out[2] == 0xff && out[3] == 0xff);
    /* ... one more is 2^32, and "#####" is 85^5-1. */
    CHECK_NULL_ERR(zmq_z85_decode(out, "%nSc1"), EINVAL);
    CHECK_NULL_ERR(zmq_z85_decode(out, "#####"), EINVAL);
    CHECK_NULL_ERR(zmq_z85_decode(out, "$0000"), EINVAL);
    /* Also in a later group. */
    CHECK_NULL_ERR(zmq_z85_decode(out, "00000#####"), EINVAL);
    CHECK_NULL_ERR(zmq_z85_decode(out, "00000%nSc1"), EINVAL);
}

static void z85_decode_null(void)
{
    uint8_t out[8];
    CHECK_NULL_ERR(zmq_z85_decode(NULL, "HelloWorld"), EINVAL);
    CHECK_NULL_ERR(zmq_z85_decode(out, NULL), EINVAL);
    CHECK_NULL_ERR(zmq_z85_decode(NULL, NULL), EINVAL);
}

static void z85_round_trip_random(void)
{
    const size_t sizes[] = {4, 8, 12, 32, 64, 100, 256, 1024, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        for (int rep = 0; rep < 20; rep++) {
            uint8_t *data = malloc(n);
            char *text = malloc(n * 5 / 4 + 1);
            uint8_t *back = malloc(n);
            REQUIRE(data && text && back);
            for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t)rng();
            /* Make sure the extremes show up too. */
            if (rep == 0)
                memset(data, 0xff, n);
            if (rep == 1)
                memset(data, 0, n);
            CHECK(zmq_z85_encode(text, data, n) == text);
            CHECK_EQ(strlen(text), n * 5 / 4);
            CHECK(all_in_alphabet(text));
            memset(back, 0x5a, n);
            CHECK(zmq_z85_decode(back, text) == back);
            CHECK(memcmp(back, data, n) == 0);
            free(data);
            free(text);
            free(back);
        }
    }
}

static void z85_all_alphabet_chars(void)
{
    CHECK_EQ(strlen(ALPHABET), 85);
    uint8_t out[4];
    for (uint32_t d = 0; d < 85; d++) {
        /* As the last digit: value d. */
        char text[6] = "0000?";
        text[4] = ALPHABET[d];
        memset(out, 0xaa, sizeof out);
        CHECK(zmq_z85_decode(out, text) == out);
        uint32_t v = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 |
                     (uint32_t)out[2] << 8 | out[3];
        CHECK_EQ(v, d);

        /* As the first digit: value d * 85^4, which fits up to d = 82. */
        text[4] = '0';
        text[0] = ALPHABET[d];
        uint64_t big = (uint64_t)d * 85u * 85u * 85u * 85u;
        if (big <= UINT32_MAX) {
            memset(out, 0xaa, sizeof out);
            CHECK(zmq_z85_decode(out, text) == out);
            v = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 |
                (uint32_t)out[2] << 8 | out[3];
            CHECK_EQ(v, big);
        } else {
            CHECK_NULL_ERR(zmq_z85_decode(out, text), EINVAL);
        }
    }

    /* The whole alphabet (17 groups) decodes and re-encodes to itself. */
    uint8_t bytes[68];
    char again[86];
    CHECK(zmq_z85_decode(bytes, ALPHABET) == bytes);
    CHECK(zmq_z85_encode(again, bytes, sizeof bytes) == again);
    CHECK(strcmp(again, ALPHABET) == 0);
}

/* ------------------------------------------------------------------------ */
/* CURVE keys                                                               */
/* ------------------------------------------------------------------------ */

/* 1 when the library has CURVE key support; without libsodium every key
 * function must say ENOTSUP (checked here), and the tests skip. */
static int have_curve_keys(void)
{
    char pub[41], sec[41];
    errno = 0;
    int rc = zmq_curve_keypair(pub, sec);
    if (rc == 0)
        return 1;
    int e = errno;
    CHECK_EQ(rc, -1);
    CHECK_EQ(e, ENOTSUP);
    CHECK_ERR(zmq_curve_public(pub, "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"),
              -1, ENOTSUP);
    printf("SKIP: built without libsodium (zmq_curve_keypair: ENOTSUP)\n");
    return 0;
}

static void curve_keypair(void)
{
    if (!have_curve_keys())
        return;
    char pub1[41], sec1[41], pub2[41], sec2[41];
    memset(pub1, 'x', sizeof pub1);
    memset(sec1, 'x', sizeof sec1);
    CHECK_EQ(zmq_curve_keypair(pub1, sec1), 0);
    CHECK_EQ(strlen(pub1), 40);
    CHECK_EQ(strlen(sec1), 40);
    CHECK(all_in_alphabet(pub1));
    CHECK(all_in_alphabet(sec1));

    uint8_t pub_b[32], sec_b[32];
    CHECK(zmq_z85_decode(pub_b, pub1) == pub_b);
    CHECK(zmq_z85_decode(sec_b, sec1) == sec_b);
    CHECK(memcmp(pub_b, sec_b, 32) != 0);

    CHECK_EQ(zmq_curve_keypair(pub2, sec2), 0);
    CHECK(strcmp(pub1, pub2) != 0);
    CHECK(strcmp(sec1, sec2) != 0);

    /* The public key derives from the secret key. */
    char derived[41];
    memset(derived, 'x', sizeof derived);
    CHECK_EQ(zmq_curve_public(derived, sec1), 0);
    CHECK(strcmp(derived, pub1) == 0);
    CHECK_EQ(zmq_curve_public(derived, sec2), 0);
    CHECK(strcmp(derived, pub2) == 0);
}

static void curve_public_man_page_keys(void)
{
    if (!have_curve_keys())
        return;
    /* man_keys: client public, client secret, server public, server
     * secret. */
    for (int k = 0; k < 4; k += 2) {
        char derived[41];
        memset(derived, 'x', sizeof derived);
        CHECK_EQ(zmq_curve_public(derived, man_keys[k + 1].z85), 0);
        CHECK_EQ(strlen(derived), 40);
        CHECK(strcmp(derived, man_keys[k].z85) == 0);
    }
}

/* RFC 7748 section 6.1: Alice's and Bob's X25519 key pairs. */
static void curve_public_rfc7748(void)
{
    if (!have_curve_keys())
        return;
    static const struct {
        const char *secret, *public;
    } v[] = {
        {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
        {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"},
    };
    for (size_t i = 0; i < 2; i++) {
        uint8_t sec[32], want[32], got[32];
        from_hex(sec, v[i].secret, 32);
        from_hex(want, v[i].public, 32);
        char sec_z85[41], pub_z85[41];
        REQUIRE(zmq_z85_encode(sec_z85, sec, 32) == sec_z85);
        CHECK_EQ(zmq_curve_public(pub_z85, sec_z85), 0);
        memset(got, 0, sizeof got);
        CHECK(zmq_z85_decode(got, pub_z85) == got);
        CHECK(memcmp(got, want, 32) == 0);
    }
}

static void curve_public_bad_secret(void)
{
    if (!have_curve_keys())
        return;
    const char *good = man_keys[1].z85; /* 40 chars */
    char pub[41];
    char text[64];

    /* 39 and 41 characters. */
    memcpy(text, good, 39);
    text[39] = '\0';
    CHECK_ERR(zmq_curve_public(pub, text), -1, EINVAL);
    memcpy(text, good, 40);
    text[40] = '0';
    text[41] = '\0';
    CHECK_ERR(zmq_curve_public(pub, text), -1, EINVAL);
    /* Much longer, much shorter, empty. */
    CHECK_ERR(zmq_curve_public(pub, "HelloWorldHelloWorldHelloWorldHelloWorld"
                                    "HelloWorld"),
              -1, EINVAL);
    CHECK_ERR(zmq_curve_public(pub, "HelloWorld"), -1, EINVAL);
    CHECK_ERR(zmq_curve_public(pub, ""), -1, EINVAL);

    /* 40 characters with a bad one at the start, middle and end. */
    const int bad[] = {' ', '"', '\\', '~', 0x7f, 0x80};
    const int where[] = {0, 17, 39};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (size_t w = 0; w < 3; w++) {
            memcpy(text, good, 41);
            text[where[w]] = (char)bad[b];
            CHECK_ERR(zmq_curve_public(pub, text), -1, EINVAL);
        }

    /* 40 valid characters but a group above 2^32-1. */
    memcpy(text, good, 41);
    memcpy(text + 35, "#####", 5);
    CHECK_ERR(zmq_curve_public(pub, text), -1, EINVAL);

    /* The good key still works after all that. */
    CHECK_EQ(zmq_curve_public(pub, good), 0);
    CHECK(strcmp(pub, man_keys[0].z85) == 0);
}

static void curve_null_args(void)
{
    char pub[41], sec[41];
    CHECK_ERR(zmq_curve_keypair(NULL, sec), -1, EINVAL);
    CHECK_ERR(zmq_curve_keypair(pub, NULL), -1, EINVAL);
    CHECK_ERR(zmq_curve_keypair(NULL, NULL), -1, EINVAL);
    CHECK_ERR(zmq_curve_public(NULL, man_keys[1].z85), -1, EINVAL);
    CHECK_ERR(zmq_curve_public(pub, NULL), -1, EINVAL);
    CHECK_ERR(zmq_curve_public(NULL, NULL), -1, EINVAL);
}

TEST_MAIN(TEST(z85_rfc32_hello_world), TEST(z85_key_vectors),
          TEST(z85_encode_sizes), TEST(z85_encode_bad_size),
          TEST(z85_encode_null), TEST(z85_decode_bad_length),
          TEST(z85_decode_bad_chars), TEST(z85_decode_overflow),
          TEST(z85_decode_null), TEST(z85_round_trip_random),
          TEST(z85_all_alphabet_chars), TEST(curve_keypair),
          TEST(curve_public_man_page_keys), TEST(curve_public_rfc7748),
          TEST(curve_public_bad_secret), TEST(curve_null_args))
