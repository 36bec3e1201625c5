/*
 * token.c: session tokens (doc/protocol.md 2.3).  ocmd makes one per admitted
 * member when it answers COMPLETE; the token then names the session in
 * every datagram header and is the exporter context for its UDP keys.
 */
#include "lib/token.h"

#include <openssl/rand.h>

static const char token_hex[] = "0123456789abcdef";

int
token_generate(char out[OCM_TOKEN_LEN + 1])
{
	uint8_t raw[OCM_TOKEN_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -OCM_E_CRYPTO;
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = token_hex[raw[i] >> 4];
		out[2 * i + 1] = token_hex[raw[i] & 0x0f];
	}
	out[OCM_TOKEN_LEN] = '\0';
	return 0;
}

/* Lowercase only: the token is compared byte for byte, so "AB" and "ab"
 * must not both be accepted as the same session. */
bool
token_valid(const uint8_t *s, size_t len)
{
	if (s == NULL || len != OCM_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		bool lower = s[i] >= 'a' && s[i] <= 'f';

		if (!digit && !lower)
			return false;
	}
	return true;
}
