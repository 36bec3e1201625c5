/*
 * keys.c: the bridge between TLS and the UDP path.  After the TCRP
 * exchange both ends export the session's datagram keys from the TLS 1.3
 * session (doc/protocol.md 7); the server's identity is its certificate's
 * public-key fingerprint (doc/protocol.md 3), and ocmd's first start makes a
 * self-signed Ed25519 certificate with keys_selfsigned().
 */
#include "lib/keys.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "lib/token.h"

#define FINGERPRINT_PREFIX	"SHA256:"
#define SERIAL_BYTES		16

int
keys_export(SSL *ssl, const char *token, struct udp_keys *k)
{
	uint8_t out[OCM_EXPORTER_LEN];

	/* A C string: one of 33 characters is refused, not cut to 32. */
	if (token == NULL || !token_valid((const uint8_t *)token,
	    strnlen(token, OCM_TOKEN_LEN + 1)))
		return -OCM_E_BAD_TOKEN;
	/*
	 * TLS 1.2 has an exporter too (RFC 5705), but doc/protocol.md 7 names
	 * only RFC 8446's, which is bound to the whole handshake transcript;
	 * and before the handshake finishes there is no exporter secret.
	 */
	if (ssl == NULL || k == NULL || SSL_version(ssl) != TLS1_3_VERSION ||
	    !SSL_is_init_finished(ssl))
		return -OCM_E_CRYPTO;
	if (SSL_export_keying_material(ssl, out, sizeof(out),
	    OCM_EXPORTER_LABEL, strlen(OCM_EXPORTER_LABEL),
	    (const unsigned char *)token, OCM_TOKEN_LEN, 1) != 1) {
		OPENSSL_cleanse(out, sizeof(out));
		return -OCM_E_CRYPTO;
	}
	memcpy(k->c2s, out, OCM_KEY_LEN);
	memcpy(k->s2c, out + OCM_KEY_LEN, OCM_KEY_LEN);
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

void
keys_wipe(struct udp_keys *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

int
keys_fingerprint(X509 *cert, char out[FINGERPRINT_LEN])
{
	EVP_PKEY *pkey;

	if (cert == NULL || (pkey = X509_get0_pubkey(cert)) == NULL)
		return -OCM_E_CRYPTO;
	return keys_fingerprint_pkey(pkey, out);
}

/* OpenSSH's form: base64 without the '=' padding (one for 32 bytes). */
int
keys_fingerprint_pkey(EVP_PKEY *pkey, char out[FINGERPRINT_LEN])
{
	unsigned char *der = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((32 + 2) / 3) + 1];
	unsigned int mdlen = 0;
	int derlen, ok;

	if (pkey == NULL || (derlen = i2d_PUBKEY(pkey, &der)) <= 0)
		return -OCM_E_CRYPTO;
	ok = EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (ok != 1 || mdlen != 32 || EVP_EncodeBlock(b64, md, 32) != 44)
		return -OCM_E_CRYPTO;
	memcpy(out, FINGERPRINT_PREFIX, strlen(FINGERPRINT_PREFIX));
	memcpy(out + strlen(FINGERPRINT_PREFIX), b64, 43);
	out[FINGERPRINT_LEN - 1] = '\0';
	return 0;
}

/*
 * A random serial (RFC 5280 4.1.2.2: positive, at most 20 octets).  The
 * clear top bit keeps the DER encoding at 16 octets: with it set, DER
 * would need a leading zero octet to keep the integer positive.
 */
static int
cert_set_serial(X509 *cert)
{
	unsigned char raw[SERIAL_BYTES];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	raw[0] &= 0x7f;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn == NULL)
		return -1;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* Subject and issuer are the same name: the certificate signs itself. */
static int
cert_set_names(X509 *cert, const char *common_name)
{
	X509_NAME *name = X509_get_subject_name(cert);

	if (name == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)common_name, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name))
		return -1;
	return 0;
}

/*
 * The name goes in as a GENERAL_NAME rather than through the "DNS:..."
 * config syntax, so a name with a comma cannot smuggle in other entries.
 */
static int
cert_add_san(X509 *cert, const char *common_name)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
	int ok = 0;

	if (names == NULL || gn == NULL || dns == NULL ||
	    !ASN1_STRING_set(dns, common_name, -1)) {
		ASN1_IA5STRING_free(dns);
		GENERAL_NAME_free(gn);
		sk_GENERAL_NAME_free(names);
		return -1;
	}
	GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	if (sk_GENERAL_NAME_push(names, gn) == 0)
		GENERAL_NAME_free(gn);
	else
		ok = X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0,
		    X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(names);
	return ok ? 0 : -1;
}

/* A leaf for TLS servers only. */
static const struct {
	int nid;
	const char *value;
} cert_exts[] = {
	{ .nid = NID_basic_constraints, .value = "critical,CA:FALSE" },
	{ .nid = NID_key_usage, .value = "critical,digitalSignature" },
	{ .nid = NID_ext_key_usage, .value = "serverAuth" },
};

static int
cert_add_exts(X509 *cert, const char *common_name)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(cert_exts) / sizeof(cert_exts[0]); i++) {
		X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx,
		    cert_exts[i].nid, cert_exts[i].value);
		int ok = ext != NULL && X509_add_ext(cert, ext, -1);

		X509_EXTENSION_free(ext);
		if (!ok)
			return -1;
	}
	return cert_add_san(cert, common_name);
}

static int
cert_fill(X509 *cert, EVP_PKEY *key, const char *common_name, int days)
{
	if (!X509_set_version(cert, X509_VERSION_3) ||
	    cert_set_serial(cert) < 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL ||
	    cert_set_names(cert, common_name) < 0 ||
	    !X509_set_pubkey(cert, key) ||
	    cert_add_exts(cert, common_name) < 0)
		return -1;
	return 0;
}

int
keys_selfsigned(const char *common_name, int days, EVP_PKEY **key, X509 **cert)
{
	EVP_PKEY *k = NULL;
	X509 *c = NULL;

	if (common_name == NULL || common_name[0] == '\0' || days < 1 ||
	    key == NULL || cert == NULL)
		return -OCM_E_CRYPTO;
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (c = X509_new()) == NULL ||
	    cert_fill(c, k, common_name, days) < 0 ||
	    X509_sign(c, k, NULL) <= 0) {	/* Ed25519 hashes internally */
		X509_free(c);
		EVP_PKEY_free(k);
		return -OCM_E_CRYPTO;
	}
	*key = k;
	*cert = c;
	return 0;
}

/* ALPN: select "ocm/1" or refuse the handshake. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char ocm[] = "\x05" OCM_ALPN;
	(void)ssl;
	(void)arg;

	if (SSL_select_next_proto((unsigned char **)out, outlen, ocm, sizeof(ocm) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

/*
 * OpenSSL calls the ALPN callback only when the client sends the
 * extension; a ClientHello without it is refused here, with the same
 * alert.
 */
static int
alpn_required(SSL *ssl, int *alert, void *arg)
{
	const unsigned char *ext;
	size_t len;
	(void)arg;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation,
	    &ext, &len) == 1)
		return SSL_CLIENT_HELLO_SUCCESS;
	*alert = SSL_AD_NO_APPLICATION_PROTOCOL;
	return SSL_CLIENT_HELLO_ERROR;
}

SSL_CTX *
keys_server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_client_hello_cb(ctx, alpn_required, NULL);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
}

const char *
keys_tls_error(char *buf, size_t len, const char *none)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "%s", none);
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}
