/*
 * keys.h: what OCM takes from a TLS session and a certificate: the UDP keys
 * derived with the TLS 1.3 exporter (doc/protocol.md 7), the server fingerprint
 * in OpenSSH's SHA256:base64 form (doc/protocol.md 3), and the self-signed
 * Ed25519 certificate ocmd makes on first start.
 */
#ifndef OCM_KEYS_H
#define OCM_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/ocm.h"

struct udp_keys {
	uint8_t c2s[OCM_KEY_LEN];	/* client-to-server datagrams */
	uint8_t s2c[OCM_KEY_LEN];	/* server-to-client datagrams */
};

/* Exports the 64 bytes for token (32 ASCII bytes) from a finished TLS 1.3
 * session.  Returns 0, -OCM_E_BAD_TOKEN or -OCM_E_CRYPTO. */
int keys_export(SSL *ssl, const char *token, struct udp_keys *k);
/* OPENSSL_cleanse()s both keys. */
void keys_wipe(struct udp_keys *k);

/* "SHA256:" + 43 base64 characters + NUL. */
#define FINGERPRINT_LEN		(7 + 43 + 1)

/* Fingerprint of the certificate's SubjectPublicKeyInfo.  Returns 0 or
 * -OCM_E_CRYPTO. */
int keys_fingerprint(X509 *cert, char out[FINGERPRINT_LEN]);
/* The same for a bare public (or private) key. */
int keys_fingerprint_pkey(EVP_PKEY *pkey, char out[FINGERPRINT_LEN]);

/*
 * Generates an Ed25519 key and a self-signed certificate for common_name,
 * valid from now for days days, with a random serial.  Returns 0 or
 * -OCM_E_CRYPTO; *key and *cert are set only on success.
 */
int keys_selfsigned(const char *common_name, int days, EVP_PKEY **key, X509 **cert);

/*
 * A server context as doc/protocol.md 3 wants it: TLS 1.3 only, ALPN "ocm/1"
 * or a no_application_protocol alert, no session tickets or cache (every
 * join is a full handshake, so nothing outlives the connection).  The
 * caller adds the certificate and key.  NULL if OpenSSL cannot make one.
 */
SSL_CTX *keys_server_ctx(void);

/* The oldest queued OpenSSL error as text, or none when the queue is
 * empty; clears the queue.  Returns buf. */
const char *keys_tls_error(char *buf, size_t len, const char *none);

#endif
