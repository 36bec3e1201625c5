/*
 * check_keys.c: lib/keys.c against a real TLS 1.3 session.  A server and a
 * client SSL are joined by a BIO pair in memory, so the exporter test runs
 * the same handshake ocmd and ocm-client do (TLS 1.3, ALPN "ocm/1", the
 * self-signed Ed25519 certificate) without a socket.  Then the fingerprint
 * form and the generated certificate's fields.
 */
#include <check.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/keys.h"
#include "lib/token.h"
#include "tests/unit/util.h"

#define TEST_CN			"ocm.example.org"
#define TEST_DAYS		365
#define HANDSHAKE_ROUNDS	20
#define TOKEN_A			"9f86d081884c7d659a2feaa0c55ad015"
#define TOKEN_B			"9f86d081884c7d659a2feaa0c55ad016"

static const unsigned char alpn_wire[] = "\x05ocm/1";	/* length-prefixed */

struct tls_pair {
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
};

static SSL_CTX *
ctx_new(const SSL_METHOD *method, int version)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(ctx, version), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx, version), 1);
	return ctx;
}

/* Builds both ends for one protocol version; the BIO pair joins them. */
static void
pair_new(struct tls_pair *p, int version)
{
	BIO *sbio, *cbio;

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(keys_selfsigned(TEST_CN, TEST_DAYS, &p->key, &p->cert), 0);

	/* ocmd's context, pinned to version (TLS 1.2 only to show that the
	 * exporter refuses it). */
	p->sctx = keys_server_ctx();
	ck_assert_ptr_nonnull(p->sctx);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(p->sctx, version), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(p->sctx, version), 1);
	ck_assert_int_eq(SSL_CTX_use_certificate(p->sctx, p->cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(p->sctx, p->key), 1);
	ck_assert_int_eq(SSL_CTX_check_private_key(p->sctx), 1);

	p->cctx = ctx_new(TLS_client_method(), version);
	SSL_CTX_set_verify(p->cctx, SSL_VERIFY_NONE, NULL);	/* no CA here */
	ck_assert_int_eq(SSL_CTX_set_alpn_protos(p->cctx, alpn_wire,
	    sizeof(alpn_wire) - 1), 0);	/* 0 is success here */

	p->server = SSL_new(p->sctx);
	p->client = SSL_new(p->cctx);
	ck_assert_ptr_nonnull(p->server);
	ck_assert_ptr_nonnull(p->client);
	ck_assert_int_eq(BIO_new_bio_pair(&sbio, 0, &cbio, 0), 1);
	SSL_set_bio(p->server, sbio, sbio);
	SSL_set_bio(p->client, cbio, cbio);
	SSL_set_accept_state(p->server);
	SSL_set_connect_state(p->client);
}

static void
pair_free(struct tls_pair *p)
{
	SSL_free(p->client);
	SSL_free(p->server);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
}

/* One side's step: 1 done, 0 wants more, -1 failed. */
static int
ctx_step(SSL *ssl)
{
	int rc = SSL_do_handshake(ssl);

	if (rc == 1)
		return 1;
	rc = SSL_get_error(ssl, rc);
	return rc == SSL_ERROR_WANT_READ || rc == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* One handshake step that must not fail; true once this side is done. */
static bool
handshake_step(SSL *ssl, const char *side)
{
	int rc = ctx_step(ssl);

	ck_assert_msg(rc >= 0, "%s handshake failed: %s", side,
	    ERR_error_string(ERR_get_error(), NULL));
	return rc == 1;
}

/* Alternates the two ends; a handful of rounds is plenty, so a stall is
 * a failure rather than a hang. */
static void
pair_handshake(struct tls_pair *p)
{
	bool cdone = false, sdone = false;

	for (int i = 0; i < HANDSHAKE_ROUNDS && !(cdone && sdone); i++) {
		if (!cdone)
			cdone = handshake_step(p->client, "client");
		if (!sdone)
			sdone = handshake_step(p->server, "server");
	}
	ck_assert_msg(cdone && sdone, "handshake unfinished after %d rounds",
	    HANDSHAKE_ROUNDS);
}

static void
assert_alpn(SSL *ssl)
{
	const unsigned char *proto = NULL;
	unsigned int len = 0;

	SSL_get0_alpn_selected(ssl, &proto, &len);
	ck_assert_uint_eq(len, strlen(OCM_ALPN));
	ck_assert(memcmp(proto, OCM_ALPN, len) == 0);
}

static bool
all_bytes(const void *p, size_t len, uint8_t v)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

START_TEST(test_export_both_sides_agree)
{
	struct tls_pair p;
	struct udp_keys ks, kc;
	char tok[OCM_TOKEN_LEN + 1];

	pair_new(&p, TLS1_3_VERSION);
	pair_handshake(&p);
	ck_assert_int_eq(SSL_version(p.server), TLS1_3_VERSION);
	ck_assert_int_eq(SSL_version(p.client), TLS1_3_VERSION);
	assert_alpn(p.server);
	assert_alpn(p.client);

	ck_assert_int_eq(token_generate(tok), 0);
	memset(&ks, 0xaa, sizeof(ks));
	memset(&kc, 0x55, sizeof(kc));
	ck_assert_int_eq(keys_export(p.server, tok, &ks), 0);
	ck_assert_int_eq(keys_export(p.client, tok, &kc), 0);
	ck_assert(memcmp(ks.c2s, kc.c2s, OCM_KEY_LEN) == 0);
	ck_assert(memcmp(ks.s2c, kc.s2c, OCM_KEY_LEN) == 0);
	ck_assert(memcmp(ks.c2s, ks.s2c, OCM_KEY_LEN) != 0);
	ck_assert(!all_bytes(ks.c2s, OCM_KEY_LEN, 0xaa));
	ck_assert(!all_bytes(ks.s2c, OCM_KEY_LEN, 0xaa));
	pair_free(&p);
}
END_TEST

/* The layout of doc/protocol.md 7: label, the token as context, 64 bytes,
 * c2s first.  Checked against OpenSSL's exporter called directly. */
START_TEST(test_export_layout)
{
	struct tls_pair p;
	struct udp_keys k;
	uint8_t raw[OCM_EXPORTER_LEN];
	const char label[] = "EXPORTER-ocm-udp-v1";

	pair_new(&p, TLS1_3_VERSION);
	pair_handshake(&p);
	ck_assert_int_eq(SSL_export_keying_material(p.client, raw, sizeof(raw),
	    label, strlen(label), (const unsigned char *)TOKEN_A, 32, 1), 1);
	ck_assert_int_eq(keys_export(p.server, TOKEN_A, &k), 0);
	ck_assert(memcmp(k.c2s, raw, 32) == 0);
	ck_assert(memcmp(k.s2c, raw + 32, 32) == 0);
	pair_free(&p);
}
END_TEST

START_TEST(test_export_token_changes_keys)
{
	struct tls_pair p;
	struct udp_keys ka, kb, ka2;

	pair_new(&p, TLS1_3_VERSION);
	pair_handshake(&p);
	ck_assert_int_eq(keys_export(p.server, TOKEN_A, &ka), 0);
	ck_assert_int_eq(keys_export(p.server, TOKEN_B, &kb), 0);
	ck_assert_int_eq(keys_export(p.server, TOKEN_A, &ka2), 0);
	ck_assert(memcmp(ka.c2s, kb.c2s, OCM_KEY_LEN) != 0);
	ck_assert(memcmp(ka.s2c, kb.s2c, OCM_KEY_LEN) != 0);
	ck_assert(memcmp(&ka, &ka2, sizeof(ka)) == 0);
	pair_free(&p);
}
END_TEST

/* Two sessions with the same token never share keys. */
START_TEST(test_export_session_changes_keys)
{
	struct tls_pair p1, p2;
	struct udp_keys k1, k2;

	pair_new(&p1, TLS1_3_VERSION);
	pair_new(&p2, TLS1_3_VERSION);
	pair_handshake(&p1);
	pair_handshake(&p2);
	ck_assert_int_eq(keys_export(p1.client, TOKEN_A, &k1), 0);
	ck_assert_int_eq(keys_export(p2.client, TOKEN_A, &k2), 0);
	ck_assert(memcmp(k1.c2s, k2.c2s, OCM_KEY_LEN) != 0);
	pair_free(&p1);
	pair_free(&p2);
}
END_TEST

static const char *const bad_tokens[] = {
	"9F86D081884C7D659A2FEAA0C55AD015",
	"9f86d081884c7d659a2feaa0c55ad01",
	"9f86d081884c7d659a2feaa0c55ad0150",
	"9f86d081884c7d659a2feaa0c55ad01g",
	"9f86d081884c7d65 9a2feaa0c55ad01",
	"",
	NULL,
};

START_TEST(test_export_bad_token)
{
	struct tls_pair p;
	struct udp_keys k;

	pair_new(&p, TLS1_3_VERSION);
	pair_handshake(&p);
	memset(&k, 0xaa, sizeof(k));
	ck_assert_int_eq(keys_export(p.server, bad_tokens[_i], &k), -OCM_E_BAD_TOKEN);
	ck_assert(all_bytes(&k, sizeof(k), 0xaa));
	pair_free(&p);
}
END_TEST

START_TEST(test_export_rejects_tls12)
{
	struct tls_pair p;
	struct udp_keys k;

	pair_new(&p, TLS1_2_VERSION);
	pair_handshake(&p);
	ck_assert_int_eq(SSL_version(p.server), TLS1_2_VERSION);
	memset(&k, 0xaa, sizeof(k));
	ck_assert_int_eq(keys_export(p.server, TOKEN_A, &k), -OCM_E_CRYPTO);
	ck_assert_int_eq(keys_export(p.client, TOKEN_A, &k), -OCM_E_CRYPTO);
	ck_assert(all_bytes(&k, sizeof(k), 0xaa));
	pair_free(&p);
}
END_TEST

START_TEST(test_export_before_handshake)
{
	struct tls_pair p;
	struct udp_keys k;

	pair_new(&p, TLS1_3_VERSION);
	memset(&k, 0xaa, sizeof(k));
	ck_assert_int_eq(keys_export(p.server, TOKEN_A, &k), -OCM_E_CRYPTO);
	ck_assert_int_eq(keys_export(p.client, TOKEN_A, &k), -OCM_E_CRYPTO);
	/* The client has sent its hello but the server has not answered. */
	ck_assert(!handshake_step(p.client, "client"));
	ck_assert_int_eq(keys_export(p.client, TOKEN_A, &k), -OCM_E_CRYPTO);
	ck_assert(all_bytes(&k, sizeof(k), 0xaa));
	ck_assert_int_eq(keys_export(NULL, TOKEN_A, &k), -OCM_E_CRYPTO);
	pair_free(&p);
}
END_TEST

START_TEST(test_wipe)
{
	struct udp_keys k;

	memset(&k, 0xaa, sizeof(k));
	keys_wipe(&k);
	ck_assert(all_bytes(&k, sizeof(k), 0));
	keys_wipe(NULL);
}
END_TEST

static void
gen(EVP_PKEY **key, X509 **cert)
{
	ck_assert_int_eq(keys_selfsigned(TEST_CN, TEST_DAYS, key, cert), 0);
	ck_assert_ptr_nonnull(*key);
	ck_assert_ptr_nonnull(*cert);
}

START_TEST(test_fingerprint_format)
{
	EVP_PKEY *key;
	X509 *cert;
	char fp[FINGERPRINT_LEN];
	const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	gen(&key, &cert);
	memset(fp, 'X', sizeof(fp));
	ck_assert_int_eq(keys_fingerprint(cert, fp), 0);
	ck_assert_uint_eq(strlen(fp), 50);
	ck_assert_uint_eq(FINGERPRINT_LEN, 51);
	ck_assert(strncmp(fp, "SHA256:", 7) == 0);
	ck_assert_ptr_null(strchr(fp, '='));
	ck_assert_uint_eq(strspn(fp + 7, b64), 43);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

/* The certificate, its private key and its bare public key all name the
 * same SubjectPublicKeyInfo. */
START_TEST(test_fingerprint_cert_equals_key)
{
	EVP_PKEY *key, *pub;
	X509 *cert;
	char fc[FINGERPRINT_LEN], fk[FINGERPRINT_LEN], fpub[FINGERPRINT_LEN];

	gen(&key, &cert);
	pub = X509_get_pubkey(cert);
	ck_assert_ptr_nonnull(pub);
	ck_assert_int_eq(keys_fingerprint(cert, fc), 0);
	ck_assert_int_eq(keys_fingerprint_pkey(key, fk), 0);
	ck_assert_int_eq(keys_fingerprint_pkey(pub, fpub), 0);
	ck_assert_str_eq(fc, fk);
	ck_assert_str_eq(fc, fpub);
	EVP_PKEY_free(pub);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_fingerprint_differs)
{
	EVP_PKEY *k1, *k2;
	X509 *c1, *c2;
	char f1[FINGERPRINT_LEN], f2[FINGERPRINT_LEN];

	gen(&k1, &c1);
	gen(&k2, &c2);
	ck_assert_int_eq(keys_fingerprint(c1, f1), 0);
	ck_assert_int_eq(keys_fingerprint(c2, f2), 0);
	ck_assert_str_ne(f1, f2);
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}
END_TEST

/* Recomputes the fingerprint another way: the DER comes from the
 * certificate's own X509_PUBKEY, the base64 padding is stripped here. */
START_TEST(test_fingerprint_recomputed)
{
	EVP_PKEY *key;
	X509 *cert;
	unsigned char *der = NULL, md[32], b64[45];
	unsigned int mdlen = 0;
	char want[FINGERPRINT_LEN], got[FINGERPRINT_LEN];
	int derlen;

	gen(&key, &cert);
	derlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	ck_assert_int_eq(derlen, 44);	/* Ed25519 SPKI: 12-byte header + 32 */
	ck_assert_int_eq(EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	ck_assert_uint_eq(mdlen, 32);
	ck_assert_int_eq(EVP_EncodeBlock(b64, md, 32), 44);
	ck_assert_int_eq(b64[43], '=');
	b64[43] = '\0';
	snprintf(want, sizeof(want), "SHA256:%.43s", (const char *)b64);
	ck_assert_int_eq(keys_fingerprint(cert, got), 0);
	ck_assert_str_eq(got, want);
	OPENSSL_free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

/*
 * Known answer: the RFC 8032 section 7.1 TEST 1 public key.  The expected
 * value was computed outside this code with
 *   printf 302a300506032b6570032100d75a98...511a | xxd -r -p |
 *   openssl dgst -sha256 -binary | base64
 */
START_TEST(test_fingerprint_known_answer)
{
	uint8_t pub[32];
	EVP_PKEY *pkey;
	char fp[FINGERPRINT_LEN];

	ck_assert_uint_eq(test_unhex("d75a980182b10ab7d54bfed3c964073a"
	    "0ee172f3daa62325af021a68f707511a", pub, sizeof(pub)), 32);
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof(pub));
	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_eq(keys_fingerprint_pkey(pkey, fp), 0);
	ck_assert_str_eq(fp, "SHA256:BuP9j9opu2CrWVV95h7bCuzbIxE0vjDnW0Vfjht5L6k");
	EVP_PKEY_free(pkey);
}
END_TEST

START_TEST(test_fingerprint_errors)
{
	X509 *empty = X509_new();
	char fp[FINGERPRINT_LEN];

	ck_assert_ptr_nonnull(empty);
	memset(fp, 'X', sizeof(fp));
	ck_assert_int_eq(keys_fingerprint(NULL, fp), -OCM_E_CRYPTO);
	ck_assert_int_eq(keys_fingerprint(empty, fp), -OCM_E_CRYPTO);
	ck_assert_int_eq(keys_fingerprint_pkey(NULL, fp), -OCM_E_CRYPTO);
	ck_assert(all_bytes(fp, sizeof(fp), 'X'));
	X509_free(empty);
	ERR_clear_error();
}
END_TEST

START_TEST(test_selfsigned_fields)
{
	EVP_PKEY *key;
	X509 *cert;
	char cn[256];
	int days = -1, secs = -1;

	gen(&key, &cert);
	ck_assert_int_eq(EVP_PKEY_get_base_id(key), EVP_PKEY_ED25519);
	ck_assert_int_eq(X509_get_signature_nid(cert), NID_ED25519);
	ck_assert_int_eq(X509_verify(cert, key), 1);
	ck_assert_int_eq(X509_get_version(cert), X509_VERSION_3);

	ck_assert_int_eq(X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, cn, sizeof(cn)), (int)strlen(TEST_CN));
	ck_assert_str_eq(cn, TEST_CN);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(cert),
	    X509_get_issuer_name(cert)), 0);

	ck_assert_int_le(X509_cmp_current_time(X509_get0_notBefore(cert)), 0);
	ck_assert_int_gt(X509_cmp_current_time(X509_get0_notAfter(cert)), 0);
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
	    X509_get0_notAfter(cert)), 1);
	ck_assert_int_eq(days, TEST_DAYS);
	ck_assert_int_le(secs, 1);	/* the two time() calls may straddle a second */
	ck_assert_int_ge(secs, 0);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_selfsigned_extensions)
{
	EVP_PKEY *key;
	X509 *cert;
	GENERAL_NAMES *san;
	const GENERAL_NAME *gn;

	gen(&key, &cert);
	ck_assert_int_eq(X509_check_ca(cert), 0);
	ck_assert_uint_eq(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(X509_get_extended_key_usage(cert), XKU_SSL_SERVER);
	ck_assert_int_eq(X509_check_host(cert, TEST_CN, strlen(TEST_CN), 0, NULL), 1);
	ck_assert_int_eq(X509_check_host(cert, "other.example.org", 0, 0, NULL), 0);

	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(san);
	ck_assert_int_eq(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	ck_assert_int_eq(gn->type, GEN_DNS);
	ck_assert_int_eq(ASN1_STRING_length(gn->d.dNSName), (int)strlen(TEST_CN));
	ck_assert(memcmp(ASN1_STRING_get0_data(gn->d.dNSName), TEST_CN,
	    strlen(TEST_CN)) == 0);
	GENERAL_NAMES_free(san);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

/* A name with a comma stays one DNS entry (no config-string parsing). */
START_TEST(test_selfsigned_san_comma)
{
	EVP_PKEY *key;
	X509 *cert;
	GENERAL_NAMES *san;

	ck_assert_int_eq(keys_selfsigned("a,DNS:evil.example", 1, &key, &cert), 0);
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(san);
	ck_assert_int_eq(sk_GENERAL_NAME_num(san), 1);
	GENERAL_NAMES_free(san);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

static void
serial_bn(X509 *cert, BIGNUM **bn)
{
	*bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	ck_assert_ptr_nonnull(*bn);
	ck_assert(!BN_is_negative(*bn));
	ck_assert(!BN_is_zero(*bn));
	ck_assert_int_le(BN_num_bytes(*bn), 16);
	/* Tag, length, at most 16 content octets: no sign-padding zero. */
	ck_assert_int_le(i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), NULL), 18);
}

START_TEST(test_selfsigned_serial)
{
	EVP_PKEY *k1, *k2;
	X509 *c1, *c2;
	BIGNUM *s1, *s2;

	gen(&k1, &c1);
	gen(&k2, &c2);
	serial_bn(c1, &s1);
	serial_bn(c2, &s2);
	ck_assert_int_ne(BN_cmp(s1, s2), 0);
	BN_free(s1);
	BN_free(s2);
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}
END_TEST

/* Failures leave the outputs alone (and, under ASan or valgrind, leak
 * nothing).  A 65-byte CN exceeds X.520's ub-common-name, which OpenSSL
 * enforces, so it fails midway through building the certificate. */
static const struct {
	const char *cn;
	int days;
} selfsigned_bad[] = {
	{ .cn = NULL, .days = 1 },
	{ .cn = "", .days = 1 },
	{ .cn = TEST_CN, .days = 0 },
	{ .cn = TEST_CN, .days = -1 },
	{ .cn = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  .days = 1 },
};

START_TEST(test_selfsigned_errors)
{
	EVP_PKEY *key = (EVP_PKEY *)&key;	/* sentinels: must stay as they are */
	X509 *cert = (X509 *)&cert;

	ck_assert_int_eq(keys_selfsigned(selfsigned_bad[_i].cn,
	    selfsigned_bad[_i].days, &key, &cert), -OCM_E_CRYPTO);
	ck_assert_ptr_eq(key, (EVP_PKEY *)&key);
	ck_assert_ptr_eq(cert, (X509 *)&cert);
	ERR_clear_error();
}
END_TEST

START_TEST(test_selfsigned_null_outputs)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	ck_assert_int_eq(keys_selfsigned(TEST_CN, 1, NULL, &cert), -OCM_E_CRYPTO);
	ck_assert_int_eq(keys_selfsigned(TEST_CN, 1, &key, NULL), -OCM_E_CRYPTO);
	ck_assert_ptr_null(key);
	ck_assert_ptr_null(cert);
}
END_TEST

/* The longest CN X.520 allows still works. */
START_TEST(test_selfsigned_cn_64)
{
	char cn[65];
	EVP_PKEY *key;
	X509 *cert;

	memset(cn, 'a', 64);
	cn[64] = '\0';
	ck_assert_int_eq(keys_selfsigned(cn, 1, &key, &cert), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

/* The server context ocmd and ocm-bench use, against a client that
 * offers alpn (length-prefixed) over TLS versions min..max. */
struct ctx_case {
	const char *what;
	const unsigned char *alpn;
	unsigned int alpn_len;
	int min, max;
	bool ok;
};

static const struct ctx_case ctx_cases[] = {
	{ "ocm/1 over TLS 1.3", alpn_wire, sizeof(alpn_wire) - 1, TLS1_3_VERSION,
	    TLS1_3_VERSION, true },
	{ "ocm/1 among others", (const unsigned char *)"\x02h2\x05ocm/1\x08http/1.1", 18,
	    TLS1_2_VERSION, TLS1_3_VERSION, true },
	{ "no ocm/1", (const unsigned char *)"\x02h2\x08http/1.1", 12, TLS1_3_VERSION,
	    TLS1_3_VERSION, false },
	{ "no ALPN at all", NULL, 0, TLS1_3_VERSION, TLS1_3_VERSION, false },
	{ "a near miss, ocm/2", (const unsigned char *)"\x05ocm/2", 6, TLS1_3_VERSION,
	    TLS1_3_VERSION, false },
	{ "TLS 1.2 only", alpn_wire, sizeof(alpn_wire) - 1, TLS1_2_VERSION, TLS1_2_VERSION,
	    false },
};

START_TEST(test_server_ctx)
{
	const struct ctx_case *c = &ctx_cases[_i];
	EVP_PKEY *key;
	X509 *cert;
	BIO *sbio, *cbio;
	int cst = 0, sst = 0;

	SSL_CTX *sctx = keys_server_ctx();
	ck_assert_ptr_nonnull(sctx);
	ck_assert_int_eq(keys_selfsigned(TEST_CN, TEST_DAYS, &key, &cert), 0);
	ck_assert_int_eq(SSL_CTX_use_certificate(sctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(sctx, key), 1);
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(cctx);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(cctx, c->min), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(cctx, c->max), 1);
	if (c->alpn != NULL)
		ck_assert_int_eq(SSL_CTX_set_alpn_protos(cctx, c->alpn, c->alpn_len), 0);
	SSL *server = SSL_new(sctx), *client = SSL_new(cctx);
	ck_assert_int_eq(BIO_new_bio_pair(&sbio, 0, &cbio, 0), 1);
	SSL_set_bio(server, sbio, sbio);
	SSL_set_bio(client, cbio, cbio);
	SSL_set_accept_state(server);
	SSL_set_connect_state(client);

	for (int i = 0; i < HANDSHAKE_ROUNDS && cst >= 0 && sst >= 0 && !(cst && sst); i++) {
		if (cst == 0)
			cst = ctx_step(client);
		if (sst == 0)
			sst = ctx_step(server);
	}
	ERR_clear_error();
	if (c->ok) {
		ck_assert_msg(cst == 1 && sst == 1, "%s: handshake failed", c->what);
		ck_assert_int_eq(SSL_version(server), TLS1_3_VERSION);
		assert_alpn(server);
		assert_alpn(client);
		/* No tickets: nothing to resume, every join a full handshake. */
		char buf[1];
		ck_assert_int_le(SSL_read(client, buf, sizeof(buf)), 0);
		ck_assert(!SSL_SESSION_is_resumable(SSL_get0_session(client)));
	} else {
		ck_assert_msg(cst < 0 || sst < 0, "%s: handshake succeeded", c->what);
		ck_assert_int_ne(sst, 1);
	}
	ERR_clear_error();
	SSL_free(client);
	SSL_free(server);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_tls_error_text)
{
	char buf[128];

	ERR_clear_error();
	ck_assert_str_eq(keys_tls_error(buf, sizeof(buf), "connection closed"),
	    "connection closed");
	/* A real failure queues an error: a private key that is not PEM. */
	BIO *b = BIO_new_mem_buf("not a key", -1);
	ck_assert_ptr_null(PEM_read_bio_PrivateKey(b, NULL, NULL, NULL));
	BIO_free(b);
	ck_assert_uint_ne(ERR_peek_error(), 0);
	ck_assert_ptr_eq(keys_tls_error(buf, sizeof(buf), "none"), buf);
	ck_assert_str_ne(buf, "none");
	ck_assert_msg(strstr(buf, "error:") == buf, "not OpenSSL's form: %s", buf);
	ck_assert_uint_eq(ERR_peek_error(), 0);	/* the queue is cleared */
	/* Cut to the buffer, still terminated. */
	ERR_raise(ERR_LIB_SSL, SSL_R_NO_APPLICATION_PROTOCOL);
	ck_assert_uint_lt(strlen(keys_tls_error(buf, 8, "none")), 8);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("export");

	tcase_add_test(tc, test_export_both_sides_agree);
	tcase_add_test(tc, test_export_layout);
	tcase_add_test(tc, test_export_token_changes_keys);
	tcase_add_test(tc, test_export_session_changes_keys);
	tcase_add_loop_test(tc, test_export_bad_token, 0,
	    sizeof(bad_tokens) / sizeof(bad_tokens[0]));
	tcase_add_test(tc, test_export_rejects_tls12);
	tcase_add_test(tc, test_export_before_handshake);
	tcase_add_test(tc, test_wipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("server_ctx");
	tcase_add_loop_test(tc, test_server_ctx, 0, sizeof(ctx_cases) / sizeof(ctx_cases[0]));
	tcase_add_test(tc, test_tls_error_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("fingerprint");
	tcase_add_test(tc, test_fingerprint_format);
	tcase_add_test(tc, test_fingerprint_cert_equals_key);
	tcase_add_test(tc, test_fingerprint_differs);
	tcase_add_test(tc, test_fingerprint_recomputed);
	tcase_add_test(tc, test_fingerprint_known_answer);
	tcase_add_test(tc, test_fingerprint_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("selfsigned");
	tcase_add_test(tc, test_selfsigned_fields);
	tcase_add_test(tc, test_selfsigned_extensions);
	tcase_add_test(tc, test_selfsigned_san_comma);
	tcase_add_test(tc, test_selfsigned_serial);
	tcase_add_loop_test(tc, test_selfsigned_errors, 0,
	    sizeof(selfsigned_bad) / sizeof(selfsigned_bad[0]));
	tcase_add_test(tc, test_selfsigned_null_outputs);
	tcase_add_test(tc, test_selfsigned_cn_64);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(keys_suite)
