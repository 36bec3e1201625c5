/*
 * ocm.h: constants of the OCM wire protocol (doc/protocol.md) and the error
 * codes every libocm function returns.  Everything in lib/ returns 0 (or a
 * byte count) on success and a negative enum ocm_error on failure; the
 * programs turn those into log lines, TCRP error codes or counted drops.
 */
#ifndef OCM_OCM_H
#define OCM_OCM_H

#include <stddef.h>
#include <stdint.h>

#define OCM_PROTOCOL_VERSION	1
#define OCM_DEFAULT_PORT	7600
#define OCM_ALPN		"ocm/1"

#define OCM_NAME_MAX		255	/* room and user names, bytes */
#define OCM_PASSWORD_MAX	1024	/* bytes */
#define OCM_TOKEN_LEN		32	/* ASCII hex characters */
#define OCM_TOKEN_BYTES		16	/* CSPRNG bytes behind a token */
#define OCM_KEY_LEN		32	/* ChaCha20-Poly1305 key */
#define OCM_TAG_LEN		16	/* Poly1305 tag */
#define OCM_NONCE_LEN		12
#define OCM_COUNTER_LEN		8
#define OCM_MAX_DATAGRAM	4096	/* max_datagram of version 1 */

/* RFC 8446 7.5 exporter parameters (doc/protocol.md 7). */
#define OCM_EXPORTER_LABEL	"EXPORTER-ocm-udp-v1"
#define OCM_EXPORTER_LEN	(2 * OCM_KEY_LEN)

enum ocm_error {
	OCM_OK = 0,
	OCM_E_TRUNCATED,	/* input ends inside a field */
	OCM_E_TOO_LARGE,	/* a length above its limit */
	OCM_E_BAD_OPERATION,	/* TCRP Operation not 1..3 */
	OCM_E_BAD_STATE,	/* TCRP State not 0..2, or not the one expected */
	OCM_E_BAD_NAME,		/* room or user name empty, too long, bad UTF-8 or control chars */
	OCM_E_BAD_TOKEN,	/* token not 32 lowercase hex characters */
	OCM_E_BAD_JSON,		/* payload is not one valid JSON object */
	OCM_E_MISSING_FIELD,	/* a required JSON member is absent */
	OCM_E_BAD_FIELD,	/* a JSON member has the wrong type or value */
	OCM_E_BAD_VERSION,	/* "version" present but not 1 */
	OCM_E_BAD_TYPE,		/* unknown datagram plaintext Type */
	OCM_E_MALFORMED,	/* datagram plaintext body does not match its Type */
	OCM_E_BAD_TEXT,		/* chat text empty, bad UTF-8 or control chars */
	OCM_E_AUTH,		/* AEAD tag did not verify */
	OCM_E_NOSPC,		/* output buffer too small */
	OCM_E_NOMEM,
	OCM_E_CRYPTO,		/* OpenSSL failed; details on its error queue */
	OCM_E_MAX_
};

/* A short English phrase for a negative or positive enum ocm_error. */
const char *ocm_strerror(int err);

#endif
