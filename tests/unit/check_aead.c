/*
 * check_aead.c: ChaCha20-Poly1305 contexts (lib/aead.c) against RFC 8439's
 * AEAD vector, a vector for OCM's counter nonce computed independently,
 * and every way a sealed message can be tampered with.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "lib/aead.h"
#include "tests/unit/util.h"

/* RFC 8439 section 2.8.2. */
static const char rfc_key[] =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char rfc_nonce[] = "070000004041424344454647";
static const char rfc_aad[] = "50515253c0c1c2c3c4c5c6c7";
static const char rfc_pt[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only "
    "one tip for the future, sunscreen would be it.";
static const char rfc_ct[] =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116";
static const char rfc_tag[] = "1ae10b594f09e26a7e902ecbd0600691";

/*
 * OCM's nonce (four zero bytes, big-endian counter) for counter
 * 0x0102030405060708, key 00..1f, AAD "ocm-aad", plaintext "hello, room":
 * computed with Python's cryptography package, not with this code.
 */
static const char ocm_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
#define OCM_COUNTER	UINT64_C(0x0102030405060708)
static const char ocm_aad[] = "ocm-aad";
static const char ocm_pt[] = "hello, room";
static const char ocm_sealed[] =
    "8783c994caa088ee7fd085" "6af5a1aa61a40629d9e47ea885b47039";

struct rfc {
	uint8_t key[OCM_KEY_LEN];
	uint8_t nonce[OCM_NONCE_LEN];
	uint8_t aad[12];
	uint8_t sealed[114 + OCM_TAG_LEN];
	size_t pt_len;
};

static void
rfc_load(struct rfc *v)
{
	v->pt_len = strlen(rfc_pt);
	ck_assert_uint_eq(v->pt_len, 114);
	ck_assert_uint_eq(test_unhex(rfc_key, v->key, sizeof(v->key)), OCM_KEY_LEN);
	ck_assert_uint_eq(test_unhex(rfc_nonce, v->nonce, sizeof(v->nonce)), OCM_NONCE_LEN);
	ck_assert_uint_eq(test_unhex(rfc_aad, v->aad, sizeof(v->aad)), 12);
	ck_assert_uint_eq(test_unhex(rfc_ct, v->sealed, 114), 114);
	ck_assert_uint_eq(test_unhex(rfc_tag, v->sealed + 114, OCM_TAG_LEN), OCM_TAG_LEN);
}

START_TEST(test_rfc8439_seal)
{
	struct rfc v;
	uint8_t out[sizeof(v.sealed)];

	rfc_load(&v);
	struct aead *a = aead_new(v.key, AEAD_SEAL);
	ck_assert_ptr_nonnull(a);
	memset(out, 0xee, sizeof(out));
	ck_assert_int_eq(aead_seal_nonce(a, v.nonce, v.aad, sizeof(v.aad),
	    (const uint8_t *)rfc_pt, v.pt_len, out), 0);
	ck_assert_mem_eq(out, v.sealed, sizeof(out));
	/* The context is reusable: the same call again gives the same bytes. */
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(aead_seal_nonce(a, v.nonce, v.aad, sizeof(v.aad),
	    (const uint8_t *)rfc_pt, v.pt_len, out), 0);
	ck_assert_mem_eq(out, v.sealed, sizeof(out));
	aead_free(a);
}
END_TEST

START_TEST(test_rfc8439_open)
{
	struct rfc v;
	uint8_t out[114];

	rfc_load(&v);
	struct aead *a = aead_new(v.key, AEAD_OPEN);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(aead_open_nonce(a, v.nonce, v.aad, sizeof(v.aad), v.sealed,
	    sizeof(v.sealed), out), 0);
	ck_assert_mem_eq(out, rfc_pt, v.pt_len);
	aead_free(a);
}
END_TEST

START_TEST(test_nonce_layout)
{
	uint8_t n[OCM_NONCE_LEN], want[OCM_NONCE_LEN];

	aead_nonce(OCM_COUNTER, n);
	test_unhex("00000000 0102030405060708", want, sizeof(want));
	ck_assert_mem_eq(n, want, sizeof(n));
	aead_nonce(UINT64_MAX, n);
	test_unhex("00000000 ffffffffffffffff", want, sizeof(want));
	ck_assert_mem_eq(n, want, sizeof(n));
	aead_nonce(0, n);
	memset(want, 0, sizeof(want));
	ck_assert_mem_eq(n, want, sizeof(n));
}
END_TEST

/* The counter API against a vector made elsewhere, both directions. */
START_TEST(test_counter_vector)
{
	uint8_t key[OCM_KEY_LEN], want[64], out[64];
	size_t pt_len = strlen(ocm_pt), aad_len = strlen(ocm_aad);

	test_unhex(ocm_key, key, sizeof(key));
	ck_assert_uint_eq(test_unhex(ocm_sealed, want, sizeof(want)), pt_len + OCM_TAG_LEN);
	struct aead *s = aead_new(key, AEAD_SEAL), *o = aead_new(key, AEAD_OPEN);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(aead_seal(s, OCM_COUNTER, (const uint8_t *)ocm_aad, aad_len,
	    (const uint8_t *)ocm_pt, pt_len, out), 0);
	ck_assert_mem_eq(out, want, pt_len + OCM_TAG_LEN);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(aead_open(o, OCM_COUNTER, (const uint8_t *)ocm_aad, aad_len,
	    want, pt_len + OCM_TAG_LEN, out), 0);
	ck_assert_mem_eq(out, ocm_pt, pt_len);
	aead_free(s);
	aead_free(o);
}
END_TEST

/* A sealed RFC message plus an opening context, for the tamper tests. */
struct fixture {
	struct rfc v;
	struct aead *o;
	uint8_t buf[sizeof(((struct rfc *)0)->sealed)];
	uint8_t out[114];
};

static void
fixture_init(struct fixture *f)
{
	rfc_load(&f->v);
	f->o = aead_new(f->v.key, AEAD_OPEN);
	ck_assert_ptr_nonnull(f->o);
	memcpy(f->buf, f->v.sealed, sizeof(f->buf));
}

static int
fixture_open(struct fixture *f)
{
	return aead_open_nonce(f->o, f->v.nonce, f->v.aad, sizeof(f->v.aad), f->buf,
	    sizeof(f->buf), f->out);
}

/* After a failed open the same context must still open a good message. */
static void
fixture_check_recovers(struct fixture *f)
{
	memcpy(f->buf, f->v.sealed, sizeof(f->buf));
	ck_assert_int_eq(fixture_open(f), 0);
	ck_assert_mem_eq(f->out, rfc_pt, f->v.pt_len);
	aead_free(f->o);
}

/* Loop test: every byte of the tag, each with three different flips. */
START_TEST(test_tamper_tag)
{
	struct fixture f;
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };

	fixture_init(&f);
	for (size_t k = 0; k < sizeof(flips); k++) {
		memcpy(f.buf, f.v.sealed, sizeof(f.buf));
		f.buf[114 + _i] ^= flips[k];
		ck_assert_int_eq(fixture_open(&f), -OCM_E_AUTH);
	}
	fixture_check_recovers(&f);
}
END_TEST

START_TEST(test_tamper_ciphertext)
{
	struct fixture f;

	fixture_init(&f);
	for (size_t i = 0; i < 114; i++) {
		memcpy(f.buf, f.v.sealed, sizeof(f.buf));
		f.buf[i] ^= (uint8_t)(1u << (i % 8));
		ck_assert_int_eq(fixture_open(&f), -OCM_E_AUTH);
	}
	fixture_check_recovers(&f);
}
END_TEST

START_TEST(test_tamper_aad)
{
	struct fixture f;

	fixture_init(&f);
	for (size_t i = 0; i < sizeof(f.v.aad); i++) {
		f.v.aad[i] ^= 0x04;
		ck_assert_int_eq(fixture_open(&f), -OCM_E_AUTH);
		f.v.aad[i] ^= 0x04;
	}
	/* Shorter and longer AAD, and none at all. */
	ck_assert_int_eq(aead_open_nonce(f.o, f.v.nonce, f.v.aad, sizeof(f.v.aad) - 1,
	    f.buf, sizeof(f.buf), f.out), -OCM_E_AUTH);
	ck_assert_int_eq(aead_open_nonce(f.o, f.v.nonce, NULL, 0,
	    f.buf, sizeof(f.buf), f.out), -OCM_E_AUTH);
	fixture_check_recovers(&f);
}
END_TEST

START_TEST(test_truncated)
{
	struct fixture f;

	fixture_init(&f);
	/* A shorter message moves the tag: the wrong bytes are checked. */
	ck_assert_int_eq(aead_open_nonce(f.o, f.v.nonce, f.v.aad, sizeof(f.v.aad),
	    f.buf, sizeof(f.buf) - 1, f.out), -OCM_E_AUTH);
	for (size_t len = 0; len < OCM_TAG_LEN; len++)
		ck_assert_int_eq(aead_open_nonce(f.o, f.v.nonce, f.v.aad, sizeof(f.v.aad),
		    f.buf, len, f.out), -OCM_E_TRUNCATED);
	fixture_check_recovers(&f);
}
END_TEST

START_TEST(test_wrong_key)
{
	struct rfc v;
	uint8_t out[114];

	rfc_load(&v);
	v.key[31] ^= 0x01;
	struct aead *a = aead_new(v.key, AEAD_OPEN);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(aead_open_nonce(a, v.nonce, v.aad, sizeof(v.aad), v.sealed,
	    sizeof(v.sealed), out), -OCM_E_AUTH);
	aead_free(a);
}
END_TEST

START_TEST(test_wrong_counter)
{
	uint8_t key[OCM_KEY_LEN], buf[64], out[64];
	const uint8_t aad[] = "header";
	const uint8_t pt[] = "some chat text";

	memset(key, 0x42, sizeof(key));
	struct aead *s = aead_new(key, AEAD_SEAL), *o = aead_new(key, AEAD_OPEN);
	ck_assert_int_eq(aead_seal(s, 1000, aad, sizeof(aad), pt, sizeof(pt), buf), 0);
	ck_assert_int_eq(aead_open(o, 999, aad, sizeof(aad), buf,
	    sizeof(pt) + OCM_TAG_LEN, out), -OCM_E_AUTH);
	ck_assert_int_eq(aead_open(o, 1001, aad, sizeof(aad), buf,
	    sizeof(pt) + OCM_TAG_LEN, out), -OCM_E_AUTH);
	/* A counter that differs only above the low 32 bits. */
	ck_assert_int_eq(aead_open(o, 1000 + (UINT64_C(1) << 40), aad, sizeof(aad), buf,
	    sizeof(pt) + OCM_TAG_LEN, out), -OCM_E_AUTH);
	ck_assert_int_eq(aead_open(o, 1000, aad, sizeof(aad), buf,
	    sizeof(pt) + OCM_TAG_LEN, out), 0);
	ck_assert_mem_eq(out, pt, sizeof(pt));
	aead_free(s);
	aead_free(o);
}
END_TEST

START_TEST(test_in_place)
{
	struct rfc v;
	uint8_t buf[sizeof(v.sealed)];

	rfc_load(&v);
	struct aead *s = aead_new(v.key, AEAD_SEAL), *o = aead_new(v.key, AEAD_OPEN);
	memcpy(buf, rfc_pt, v.pt_len);
	ck_assert_int_eq(aead_seal_nonce(s, v.nonce, v.aad, sizeof(v.aad), buf,
	    v.pt_len, buf), 0);
	ck_assert_mem_eq(buf, v.sealed, sizeof(buf));
	ck_assert_int_eq(aead_open_nonce(o, v.nonce, v.aad, sizeof(v.aad), buf,
	    sizeof(buf), buf), 0);
	ck_assert_mem_eq(buf, rfc_pt, v.pt_len);
	/* The counter entry points too. */
	ck_assert_int_eq(aead_seal(s, 7, v.aad, sizeof(v.aad), buf, v.pt_len, buf), 0);
	ck_assert_int_eq(aead_open(o, 7, v.aad, sizeof(v.aad), buf, sizeof(buf), buf), 0);
	ck_assert_mem_eq(buf, rfc_pt, v.pt_len);
	aead_free(s);
	aead_free(o);
}
END_TEST

/* An empty plaintext is just a tag over the AAD, and still checked. */
START_TEST(test_empty_plaintext)
{
	uint8_t key[OCM_KEY_LEN], tag[OCM_TAG_LEN], out[1];
	const uint8_t aad[] = "only aad";

	memset(key, 7, sizeof(key));
	struct aead *s = aead_new(key, AEAD_SEAL), *o = aead_new(key, AEAD_OPEN);
	ck_assert_int_eq(aead_seal(s, 3, aad, sizeof(aad), NULL, 0, tag), 0);
	ck_assert_int_eq(aead_open(o, 3, aad, sizeof(aad), tag, sizeof(tag), out), 0);
	tag[0] ^= 1;
	ck_assert_int_eq(aead_open(o, 3, aad, sizeof(aad), tag, sizeof(tag), out),
	    -OCM_E_AUTH);
	aead_free(s);
	aead_free(o);
}
END_TEST

/* Many messages through one context pair, each nonce fresh: no state
 * leaks from one message into the next, and a failure leaves no error
 * on OpenSSL's queue to pile up under a flood of forgeries. */
START_TEST(test_reuse_and_error_queue)
{
	uint8_t key[OCM_KEY_LEN], pt[284], buf[16 + sizeof(pt) + OCM_TAG_LEN], out[sizeof(pt)];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7);
	memset(buf, 0x5a, sizeof(buf));
	struct aead *s = aead_new(key, AEAD_SEAL), *o = aead_new(key, AEAD_OPEN);
	ERR_clear_error();
	for (uint64_t c = 0; c < 200; c++) {
		size_t len = (size_t)(c * 37 % sizeof(pt));
		memset(pt, (int)c, len);
		ck_assert_int_eq(aead_seal(s, c, buf, 5, pt, len, buf + 16), 0);
		if (c % 3 == 0) {
			buf[16 + len] ^= 0x10;
			ck_assert_int_eq(aead_open(o, c, buf, 5, buf + 16,
			    len + OCM_TAG_LEN, out), -OCM_E_AUTH);
			buf[16 + len] ^= 0x10;
		}
		ck_assert_int_eq(aead_open(o, c, buf, 5, buf + 16, len + OCM_TAG_LEN, out), 0);
		ck_assert_mem_eq(out, pt, len);
	}
	ck_assert_uint_eq(ERR_peek_error(), 0);
	aead_free(s);
	aead_free(o);
}
END_TEST

START_TEST(test_wrong_direction)
{
	uint8_t key[OCM_KEY_LEN] = { 1 }, buf[32] = { 0 };

	struct aead *s = aead_new(key, AEAD_SEAL), *o = aead_new(key, AEAD_OPEN);
	ck_assert_int_eq(aead_seal(o, 0, NULL, 0, buf, 4, buf), -OCM_E_CRYPTO);
	ck_assert_int_eq(aead_open(s, 0, NULL, 0, buf, 20, buf), -OCM_E_CRYPTO);
	aead_free(s);
	aead_free(o);
	aead_free(NULL);
}
END_TEST

/* A re-keyed context seals exactly as a fresh one with that key, and
 * opens what the fresh one sealed (the relay's shared contexts). */
START_TEST(set_key_matches_fresh_context)
{
	uint8_t k1[OCM_KEY_LEN], k2[OCM_KEY_LEN], pt[100], a[128], b[128], back[100];
	memset(k1, 0x11, sizeof(k1));
	memset(k2, 0x22, sizeof(k2));
	memset(pt, 'x', sizeof(pt));
	struct aead *shared = aead_new(k1, AEAD_SEAL);
	struct aead *fresh = aead_new(k2, AEAD_SEAL);
	struct aead *opener = aead_new(k1, AEAD_OPEN);
	ck_assert_int_eq(aead_set_key(shared, k2), 0);
	ck_assert_int_eq(aead_seal(shared, 7, pt, 10, pt, sizeof(pt), a), 0);
	ck_assert_int_eq(aead_seal(fresh, 7, pt, 10, pt, sizeof(pt), b), 0);
	ck_assert_mem_eq(a, b, sizeof(pt) + OCM_TAG_LEN);
	ck_assert_int_eq(aead_open(opener, 7, pt, 10, a, sizeof(pt) + OCM_TAG_LEN, back), -OCM_E_AUTH);
	ck_assert_int_eq(aead_set_key(opener, k2), 0);
	ck_assert_int_eq(aead_open(opener, 7, pt, 10, a, sizeof(pt) + OCM_TAG_LEN, back), 0);
	ck_assert_mem_eq(back, pt, sizeof(pt));
	aead_free(shared);
	aead_free(fresh);
	aead_free(opener);
}
END_TEST

static Suite *
aead_suite(void)
{
	Suite *s = suite_create("aead");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, test_rfc8439_seal);
	tcase_add_test(tc, set_key_matches_fresh_context);
	tcase_add_test(tc, test_rfc8439_open);
	tcase_add_test(tc, test_nonce_layout);
	tcase_add_test(tc, test_counter_vector);
	suite_add_tcase(s, tc);

	tc = tcase_create("tamper");
	tcase_add_loop_test(tc, test_tamper_tag, 0, OCM_TAG_LEN);
	tcase_add_test(tc, test_tamper_ciphertext);
	tcase_add_test(tc, test_tamper_aad);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_wrong_counter);
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_add_test(tc, test_in_place);
	tcase_add_test(tc, test_empty_plaintext);
	tcase_add_test(tc, test_reuse_and_error_queue);
	tcase_add_test(tc, test_wrong_direction);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(aead_suite)
