/*
 * aead.h: ChaCha20-Poly1305 (RFC 8439) through OpenSSL EVP, one context per
 * key and direction, created once and reused for every datagram: only the
 * nonce changes per call, so the datagram path allocates nothing.
 */
#ifndef OCM_AEAD_H
#define OCM_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ocm.h"

enum aead_dir { AEAD_SEAL, AEAD_OPEN };

struct aead;

/* A context for one key and one direction; NULL on allocation or OpenSSL
 * failure. */
struct aead *aead_new(const uint8_t key[OCM_KEY_LEN], enum aead_dir dir);
/* Wipes the key.  NULL is a no-op. */
void aead_free(struct aead *a);
/*
 * Replaces the key, keeping the context: ChaCha20 has no key schedule, so
 * one context per direction can serve many keys (the relay re-keys per
 * datagram instead of keeping two contexts, over 2 KB, per member).
 * Returns 0 or -OCM_E_CRYPTO.
 */
int aead_set_key(struct aead *a, const uint8_t key[OCM_KEY_LEN]);

/* The 12-byte nonce of doc/protocol.md 8: four zero bytes, then the counter. */
void aead_nonce(uint64_t counter, uint8_t nonce[OCM_NONCE_LEN]);

/*
 * Encrypts pt (may alias out) and appends the 16-byte tag: out receives
 * pt_len + 16 bytes.  Returns 0 or -OCM_E_CRYPTO.
 */
int aead_seal(struct aead *a, uint64_t counter, const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t *out);

/*
 * Verifies and decrypts ct_len bytes (ciphertext then tag, ct_len >= 16)
 * into out (ct_len - 16 bytes; may alias ct).  Returns 0, -OCM_E_TRUNCATED
 * or -OCM_E_AUTH (or -OCM_E_CRYPTO if OpenSSL itself fails, or a is a
 * sealing context).  Nothing of out may be used after a failure.
 */
int aead_open(struct aead *a, uint64_t counter, const uint8_t *aad, size_t aad_len,
    const uint8_t *ct, size_t ct_len, uint8_t *out);

/*
 * The same with an arbitrary 12-byte nonce, which the datagram layout never
 * needs but RFC 8439's test vectors (nonce 07000000...) do.  aead_seal and
 * aead_open are these with aead_nonce(counter).
 */
int aead_seal_nonce(struct aead *a, const uint8_t nonce[OCM_NONCE_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
    uint8_t *out);
int aead_open_nonce(struct aead *a, const uint8_t nonce[OCM_NONCE_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
    uint8_t *out);

#endif
