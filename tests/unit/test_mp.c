/*  test_mp: the safe msgpack decoder (proto/src/opd_mp.c) against hostile
    frames. Every frame here that declares more than it holds must be
    refused before msgpack-c sees it (so before anything is allocated for
    it); every valid frame must pass and decode. */
#include "opd_mp.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int
s_check (const void *data, size_t len)
{
    char err[256] = "";
    int rc = opd_mp_check (data, len, NULL, err, sizeof err);
    if (rc)
        assert_true (err[0] != 0);  //  a refusal always says why
    return rc;
}

//  Decodes, and checks that a refusal leaves nothing to free but the empty
//  unpacked (which the caller must still destroy).
static int
s_decode (const void *data, size_t len)
{
    msgpack_unpacked u;
    char err[256] = "";
    int rc = opd_mp_decode (data, len, NULL, &u, err, sizeof err);
    if (rc) {
        assert_true (err[0] != 0);
        assert_int_equal (u.data.type, MSGPACK_OBJECT_NIL);
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

//  A valid intake.submit frame holding every msgpack family the decoder
//  walks: maps, arrays, fixstr/str8/str16, ints of each width, floats,
//  booleans, nil, bin and ext.
static msgpack_sbuffer
s_valid_frame (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 12);
    msgpack_pack_str_with_body (&pk, "v", 1);
    msgpack_pack_int (&pk, 1);
    msgpack_pack_str_with_body (&pk, "type", 4);
    msgpack_pack_str_with_body (&pk, "intake.submit", 13);
    msgpack_pack_str_with_body (&pk, "requester", 9);
    msgpack_pack_map (&pk, 2);
    msgpack_pack_str_with_body (&pk, "name", 4);
    msgpack_pack_str_with_body (&pk, "Zoë", 4);
    msgpack_pack_str_with_body (&pk, "email", 5);
    msgpack_pack_nil (&pk);
    char body[300];
    memset (body, 'x', sizeof body);
    msgpack_pack_str_with_body (&pk, "body", 4);
    msgpack_pack_str_with_body (&pk, body, sizeof body);  //  str16
    msgpack_pack_str_with_body (&pk, "subject", 7);
    msgpack_pack_str_with_body (&pk, body, 40);  //  str8
    msgpack_pack_str_with_body (&pk, "received_at", 11);
    msgpack_pack_int64 (&pk, 1764064119000LL);
    msgpack_pack_str_with_body (&pk, "ints", 4);
    msgpack_pack_array (&pk, 8);
    msgpack_pack_uint8 (&pk, 200);
    msgpack_pack_uint16 (&pk, 60000);
    msgpack_pack_uint32 (&pk, 4000000000u);
    msgpack_pack_uint64 (&pk, UINT64_MAX);
    msgpack_pack_int8 (&pk, -100);
    msgpack_pack_int16 (&pk, -30000);
    msgpack_pack_int32 (&pk, -2000000000);
    msgpack_pack_int (&pk, -3);
    msgpack_pack_str_with_body (&pk, "floats", 6);
    msgpack_pack_array (&pk, 2);
    msgpack_pack_float (&pk, 1.5f);
    msgpack_pack_double (&pk, -2.25);
    msgpack_pack_str_with_body (&pk, "flags", 5);
    msgpack_pack_array (&pk, 2);
    msgpack_pack_true (&pk);
    msgpack_pack_false (&pk);
    msgpack_pack_str_with_body (&pk, "bin", 3);
    msgpack_pack_bin_with_body (&pk, "\x00\x01\x02", 3);
    msgpack_pack_str_with_body (&pk, "ext", 3);
    msgpack_pack_ext_with_body (&pk, "abcdefgh", 8, 5);  //  fixext8
    msgpack_pack_str_with_body (&pk, "ext3", 4);
    msgpack_pack_ext_with_body (&pk, "abc", 3, 7);  //  ext8
    return buf;
}

static void
test_mp_valid_frames_pass (void **state)
{
    (void) state;
    msgpack_sbuffer buf = s_valid_frame ();
    assert_int_equal (s_check (buf.data, buf.size), OPD_MP_OK);
    msgpack_unpacked u;
    char err[256];
    assert_int_equal (opd_mp_decode (buf.data, buf.size, NULL, &u, err, sizeof err), OPD_MP_OK);
    assert_int_equal (u.data.type, MSGPACK_OBJECT_MAP);
    int64_t v;
    assert_true (opd_mp_is_int (opd_mp_get (&u.data, "v"), &v));
    assert_int_equal (v, 1);
    const char *s;
    size_t len;
    assert_true (opd_mp_is_str (opd_mp_get (&u.data, "type"), &s, &len));
    assert_int_equal (len, 13);
    char *type = opd_mp_strdup (opd_mp_get (&u.data, "type"));
    assert_string_equal (type, "intake.submit");
    free (type);
    const msgpack_object *req = opd_mp_get (&u.data, "requester");
    assert_non_null (req);
    assert_true (opd_mp_is_str (opd_mp_get (req, "name"), &s, &len));
    assert_int_equal (len, 4);
    assert_int_equal (opd_mp_get (req, "email")->type, MSGPACK_OBJECT_NIL);
    assert_null (opd_mp_get (&u.data, "absent"));
    assert_null (opd_mp_get (&req->via.map.ptr[0].val, "name"));  //  not a map
    //  uint64 max does not fit in int64.
    const msgpack_object *ints = opd_mp_get (&u.data, "ints");
    assert_false (opd_mp_is_int (&ints->via.array.ptr[3], &v));
    assert_true (opd_mp_is_int (&ints->via.array.ptr[6], &v));
    assert_int_equal (v, -2000000000);
    msgpack_unpacked_destroy (&u);
    msgpack_sbuffer_destroy (&buf);

    //  Small frames of every kind of root.
    static const struct {
        const char *bytes;
        size_t len;
    } ok[] = {
        {"\x80", 1},  {"\x90", 1}, {"\xc0", 1},   {"\xa0", 1}, {"\x7f", 1}, {"\xe0", 1},
        {"\xc3", 1},  {"\xc4\x00", 2}, {"\xd4\x01\x02", 3}, {"\x81\xa1k\x91\x01", 5},
        {"\xdc\x00\x01\x01", 4}, {"\xde\x00\x01\xa1k\xc0", 6},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (s_check (ok[i].bytes, ok[i].len) != OPD_MP_OK)
            fail_msg ("small frame %zu refused", i);
        assert_int_equal (s_decode (ok[i].bytes, ok[i].len), OPD_MP_OK);
    }
}

static void
test_mp_str32_of_4gb_is_refused (void **state)
{
    (void) state;
    //  Five bytes that make a naive unpacker reserve 4 GB (96 GB inside a
    //  map of 24 such keys with some decoders).
    const unsigned char frame[] = {0xdb, 0xff, 0xff, 0xff, 0xff};
    assert_true (s_check (frame, sizeof frame) < 0);
    assert_true (s_decode (frame, sizeof frame) < 0);
    const unsigned char bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
    assert_true (s_decode (bin32, sizeof bin32) < 0);
    //  The same inside a map, as a value and as a key.
    const unsigned char in_map[] = {0x81, 0xa1, 'k', 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
    assert_true (s_decode (in_map, sizeof in_map) < 0);
    const unsigned char as_key[] = {0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0xc0};
    assert_true (s_decode (as_key, sizeof as_key) < 0);
}

static void
test_mp_huge_containers_are_malformed (void **state)
{
    (void) state;
    const unsigned char array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
    assert_int_equal (s_check (array32, sizeof array32), OPD_MP_MALFORMED);
    assert_int_equal (s_decode (array32, sizeof array32), OPD_MP_MALFORMED);
    const unsigned char map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k', 0x01};
    assert_int_equal (s_check (map32, sizeof map32), OPD_MP_MALFORMED);
    assert_int_equal (s_decode (map32, sizeof map32), OPD_MP_MALFORMED);
    //  A map of 2^31 pairs declares 2^32 values: no overflow to 0.
    const unsigned char map32b[] = {0xdf, 0x80, 0x00, 0x00, 0x00, 0xc0, 0xc0};
    assert_int_equal (s_decode (map32b, sizeof map32b), OPD_MP_MALFORMED);
    const unsigned char array16[] = {0xdc, 0xff, 0xff, 0x01};
    assert_true (s_decode (array16, sizeof array16) < 0);
    const unsigned char map16[] = {0xde, 0x00, 0x02, 0xa1, 'k', 0x01};
    assert_true (s_decode (map16, sizeof map16) < 0);
    //  A fixmap declaring 15 pairs with 3 bytes behind it.
    const unsigned char fixmap[] = {0x8f, 0xa1, 'k', 0x01};
    assert_true (s_decode (fixmap, sizeof fixmap) < 0);
}

static void
test_mp_nesting_deeper_than_8_is_refused (void **state)
{
    (void) state;
    unsigned char frame[64];
    //  8 levels: 7 arrays of one element around an empty array.
    for (int levels = 1; levels <= 20; levels++) {
        size_t n = 0;
        for (int i = 0; i < levels - 1; i++)
            frame[n++] = 0x91;
        frame[n++] = 0x90;
        int rc = s_decode (frame, n);
        if (levels <= 8 && rc != OPD_MP_OK)
            fail_msg ("%d levels refused", levels);
        if (levels > 8 && rc != OPD_MP_MALFORMED)
            fail_msg ("%d levels accepted (rc %d)", levels, rc);
    }
    //  Maps count as levels too.
    size_t n = 0;
    for (int i = 0; i < 9; i++) {
        frame[n++] = 0x81;
        frame[n++] = 0xa1;
        frame[n++] = (unsigned char) ('a' + i);
    }
    frame[n++] = 0xc0;
    assert_int_equal (s_decode (frame, n), OPD_MP_MALFORMED);
    assert_int_equal (s_decode (frame + 3, n - 3), OPD_MP_OK);  //  8 maps
    //  A tighter limit of the caller's own.
    opd_mp_limits_t tight = {2, 100};
    char err[256];
    const unsigned char three[] = {0x91, 0x91, 0x90};
    assert_int_equal (opd_mp_check ((const char *) three, 3, &tight, err, sizeof err), OPD_MP_MALFORMED);
    assert_non_null (strstr (err, "nested"));
    assert_int_equal (opd_mp_check ((const char *) three + 1, 2, &tight, err, sizeof err), OPD_MP_OK);
    //  A limit above what the walker supports is clamped, not overrun.
    opd_mp_limits_t deep = {1000, 100000};
    unsigned char very[200];
    memset (very, 0x91, sizeof very);
    very[sizeof very - 1] = 0x90;
    assert_int_equal (opd_mp_check ((const char *) very, sizeof very, &deep, err, sizeof err), OPD_MP_MALFORMED);
}

static void
test_mp_too_many_values_are_refused (void **state)
{
    (void) state;
    //  An array of 70000 nils: 70001 values, above the default 65536.
    size_t n = 70000;
    unsigned char *frame = malloc (n + 5);
    assert_non_null (frame);
    frame[0] = 0xdd;
    frame[1] = 0;
    frame[2] = (unsigned char) (n >> 16);
    frame[3] = (unsigned char) (n >> 8);
    frame[4] = (unsigned char) n;
    memset (frame + 5, 0xc0, n);
    assert_int_equal (s_decode (frame, n + 5), OPD_MP_MALFORMED);
    opd_mp_limits_t wide = {8, 100000};
    char err[256];
    assert_int_equal (opd_mp_check ((const char *) frame, n + 5, &wide, err, sizeof err), OPD_MP_OK);
    free (frame);
}

static void
test_mp_every_truncation_is_refused (void **state)
{
    (void) state;
    msgpack_sbuffer buf = s_valid_frame ();
    //  Copy each prefix into a buffer of exactly its size, so that ASan
    //  catches any read past the end.
    for (size_t len = 0; len < buf.size; len++) {
        char *prefix = malloc (len ? len : 1);
        assert_non_null (prefix);
        memcpy (prefix, buf.data, len);
        int rc = s_decode (prefix, len);
        if (rc == OPD_MP_OK)
            fail_msg ("a prefix of %zu of %zu bytes was accepted", len, buf.size);
        assert_true (rc == OPD_MP_TRUNCATED || rc == OPD_MP_MALFORMED);
        free (prefix);
    }
    //  A frame that ends inside a string or a number is 'interrupted'; a
    //  container declaring more values than bytes remain counts as malformed.
    char err[256];
    assert_int_equal (opd_mp_check ("\xa5" "ab", 3, NULL, err, sizeof err), OPD_MP_TRUNCATED);
    assert_int_equal (opd_mp_check ("\xcd\x01", 2, NULL, err, sizeof err), OPD_MP_TRUNCATED);
    assert_int_equal (opd_mp_check (buf.data, 0, NULL, err, sizeof err), OPD_MP_TRUNCATED);
    assert_int_equal (opd_mp_check (buf.data, 1, NULL, err, sizeof err), OPD_MP_MALFORMED);
    msgpack_sbuffer_destroy (&buf);
}

static void
test_mp_reserved_and_trailing_bytes_are_malformed (void **state)
{
    (void) state;
    const unsigned char c1[] = {0xc1};
    assert_int_equal (s_decode (c1, 1), OPD_MP_MALFORMED);
    const unsigned char c1_in_map[] = {0x81, 0xa1, 'k', 0xc1};
    assert_int_equal (s_decode (c1_in_map, sizeof c1_in_map), OPD_MP_MALFORMED);
    const unsigned char c1_key[] = {0x81, 0xc1, 0xc0};
    assert_int_equal (s_decode (c1_key, sizeof c1_key), OPD_MP_MALFORMED);
    //  Two values where one is expected.
    const unsigned char two[] = {0x80, 0x80};
    assert_int_equal (s_decode (two, sizeof two), OPD_MP_MALFORMED);
    msgpack_sbuffer buf = s_valid_frame ();
    msgpack_sbuffer_write (&buf, "\x00", 1);
    assert_int_equal (s_decode (buf.data, buf.size), OPD_MP_MALFORMED);
    msgpack_sbuffer_destroy (&buf);
}

static void
test_mp_bin_and_ext_lengths_are_checked (void **state)
{
    (void) state;
    static const struct {
        const char *bytes;
        size_t len;
        int want;  //  0 ok, else < 0
    } cases[] = {
        {"\xc4\x03" "abc", 5, 0},                 //  bin8 exact
        {"\xc4\x04" "abc", 5, -1},                //  bin8 one short
        {"\xc5\x00\x03" "abc", 6, 0},             //  bin16
        {"\xc5\xff\xff" "abc", 6, -1},
        {"\xc6\x00\x00\x00\x03" "abc", 8, 0},     //  bin32
        {"\xc6\x00\x00\x00\x04" "abc", 8, -1},
        {"\xc7\x02\x05" "ab", 5, 0},              //  ext8: length, type, data
        {"\xc7\x03\x05" "ab", 5, -1},
        {"\xc8\x00\x02\x05" "ab", 6, 0},          //  ext16
        {"\xc8\xff\xff\x05" "ab", 6, -1},
        {"\xc9\x00\x00\x00\x02\x05" "ab", 8, 0},  //  ext32
        {"\xc9\xff\xff\xff\xff\x05" "ab", 8, -1}, //  2^32-1 + type byte
        {"\xd4\x05" "a", 3, 0},                   //  fixext1
        {"\xd4\x05", 2, -1},
        {"\xd8\x05" "0123456789abcdef", 18, 0},   //  fixext16
        {"\xd8\x05" "0123456789abcde", 17, -1},
        {"\xca\x00\x00\x80", 4, -1},              //  float32 short
        {"\xcb\x00\x00\x00\x00\x00\x00\x00", 8, -1},
        {"\xcf\x00\x00\x00\x00", 5, -1},          //  uint64 short
        {"\xd9", 1, -1},                          //  str8 without its length
        {"\xda\x00", 2, -1},
        {"\xdb\x00\x00\x00", 4, -1},
        {"\xdc\x00", 2, -1},
        {"\xdf\x00\x00", 3, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *copy = malloc (cases[i].len);
        assert_non_null (copy);
        memcpy (copy, cases[i].bytes, cases[i].len);
        int rc = s_decode (copy, cases[i].len);
        free (copy);
        if (cases[i].want == 0 && rc != OPD_MP_OK)
            fail_msg ("case %zu refused (%d)", i, rc);
        if (cases[i].want < 0 && rc >= 0)
            fail_msg ("case %zu accepted", i);
    }
    //  ext32 declaring 2^32-1 bytes plus its type byte is beyond any frame.
    char err[256];
    const unsigned char ext32[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 0x05};
    assert_int_equal (opd_mp_check ((const char *) ext32, sizeof ext32, NULL, err, sizeof err), OPD_MP_MALFORMED);
}

static void
test_mp_empty_frame_and_strdup (void **state)
{
    (void) state;
    assert_int_equal (s_decode ("", 0), OPD_MP_TRUNCATED);
    assert_null (opd_mp_strdup (NULL));
    msgpack_object nil = {.type = MSGPACK_OBJECT_NIL};
    assert_null (opd_mp_strdup (&nil));
    const char *s;
    size_t len;
    int64_t v;
    assert_false (opd_mp_is_str (&nil, &s, &len));
    assert_false (opd_mp_is_int (&nil, &v));
    assert_false (opd_mp_is_int (NULL, &v));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_mp_valid_frames_pass),
        cmocka_unit_test (test_mp_str32_of_4gb_is_refused),
        cmocka_unit_test (test_mp_huge_containers_are_malformed),
        cmocka_unit_test (test_mp_nesting_deeper_than_8_is_refused),
        cmocka_unit_test (test_mp_too_many_values_are_refused),
        cmocka_unit_test (test_mp_every_truncation_is_refused),
        cmocka_unit_test (test_mp_reserved_and_trailing_bytes_are_malformed),
        cmocka_unit_test (test_mp_bin_and_ext_lengths_are_checked),
        cmocka_unit_test (test_mp_empty_frame_and_strdup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
