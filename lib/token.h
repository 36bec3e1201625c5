/*
 * token.h: session tokens (doc/protocol.md 2.3): 16 CSPRNG bytes written as 32
 * lowercase hex characters.
 */
#ifndef OCM_TOKEN_H
#define OCM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ocm.h"

/* Fills out with a fresh token and a NUL.  Returns 0 or -OCM_E_CRYPTO. */
int token_generate(char out[OCM_TOKEN_LEN + 1]);
/* Exactly 32 characters of [0-9a-f]. */
bool token_valid(const uint8_t *s, size_t len);

#endif
