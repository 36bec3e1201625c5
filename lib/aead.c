/*
 * aead.c: ChaCha20-Poly1305 for the UDP datagrams of doc/protocol.md 8, on
 * OpenSSL's EVP interface.  Every datagram the relay receives is opened
 * here and every datagram it sends is sealed here, so a context is keyed
 * once in aead_new() and each call only resets it with a new nonce: the
 * datagram path allocates nothing and never reschedules the key.
 */
#include "lib/aead.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * The key lives inside ctx (OpenSSL's provider context, wiped when freed)
 * and, between aead_set_key() and the next operation, in key (wiped by
 * aead_free()).
 */
struct aead {
	EVP_CIPHER_CTX *ctx;
	enum aead_dir dir;
	bool rekey;			/* key goes in with the next nonce */
	uint8_t key[OCM_KEY_LEN];
};

struct aead *
aead_new(const uint8_t key[OCM_KEY_LEN], enum aead_dir dir)
{
	struct aead *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->dir = dir;
	a->ctx = EVP_CIPHER_CTX_new();
	if (a->ctx == NULL)
		goto fail;
	/* The cipher first, then the IV length, then the key: the IV length
	 * must be known before any IV is set. */
	if (!EVP_CipherInit_ex(a->ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL,
	    dir == AEAD_SEAL) ||
	    !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN, OCM_NONCE_LEN, NULL) ||
	    !EVP_CipherInit_ex(a->ctx, NULL, NULL, key, NULL, -1))
		goto fail;
	return a;
fail:
	aead_free(a);
	return NULL;
}

void
aead_free(struct aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

/* The key is handed to OpenSSL together with the next nonce: one init
 * call per datagram instead of two. */
int
aead_set_key(struct aead *a, const uint8_t key[OCM_KEY_LEN])
{
	memcpy(a->key, key, OCM_KEY_LEN);
	a->rekey = true;
	return 0;
}

void
aead_nonce(uint64_t counter, uint8_t nonce[OCM_NONCE_LEN])
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (56 - 8 * i));
}

/*
 * Resets the context for one message: a new nonce restarts ChaCha20 and
 * Poly1305 under the key set in aead_new(), then the AAD goes in (out =
 * NULL makes EVP_CipherUpdate authenticate it without output).
 */
static int
aead_start(struct aead *a, const uint8_t nonce[OCM_NONCE_LEN], const uint8_t *aad,
    size_t aad_len)
{
	int n;

	if (aad_len > INT_MAX)
		return 0;
	if (!EVP_CipherInit_ex(a->ctx, NULL, NULL, a->rekey ? a->key : NULL, nonce, -1))
		return 0;
	a->rekey = false;
	if (aad_len > 0 && !EVP_CipherUpdate(a->ctx, NULL, &n, aad, (int)aad_len))
		return 0;
	return 1;
}

/* Runs len bytes through the cipher; a stream cipher outputs exactly len. */
static int
aead_crypt(struct aead *a, const uint8_t *in, size_t len, uint8_t *out)
{
	int n;

	if (len == 0)
		return 1;
	if (len > INT_MAX)
		return 0;
	return EVP_CipherUpdate(a->ctx, out, &n, in, (int)len) && (size_t)n == len;
}

int
aead_seal_nonce(struct aead *a, const uint8_t nonce[OCM_NONCE_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
    uint8_t *out)
{
	int n;

	if (a->dir != AEAD_SEAL)
		return -OCM_E_CRYPTO;
	if (!aead_start(a, nonce, aad, aad_len) || !aead_crypt(a, pt, pt_len, out))
		return -OCM_E_CRYPTO;
	/* Final outputs nothing for a stream cipher; it computes the tag. */
	if (!EVP_CipherFinal_ex(a->ctx, out + pt_len, &n) || n != 0)
		return -OCM_E_CRYPTO;
	if (!EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, OCM_TAG_LEN,
	    out + pt_len))
		return -OCM_E_CRYPTO;
	return 0;
}

int
aead_open_nonce(struct aead *a, const uint8_t nonce[OCM_NONCE_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
    uint8_t *out)
{
	size_t len;
	int n;

	if (ct_len < OCM_TAG_LEN)
		return -OCM_E_TRUNCATED;
	if (a->dir != AEAD_OPEN)
		return -OCM_E_CRYPTO;
	len = ct_len - OCM_TAG_LEN;
	/* EVP copies the expected tag, so decrypting in place over ct later
	 * cannot disturb it (and out never reaches the tag anyway). */
	if (!aead_start(a, nonce, aad, aad_len) ||
	    !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, OCM_TAG_LEN,
	    (void *)(uintptr_t)(ct + len)) ||
	    !aead_crypt(a, ct, len, out))
		return -OCM_E_CRYPTO;
	if (!EVP_CipherFinal_ex(a->ctx, out + len, &n))
		return -OCM_E_AUTH;
	return 0;
}

int
aead_seal(struct aead *a, uint64_t counter, const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	uint8_t nonce[OCM_NONCE_LEN];

	aead_nonce(counter, nonce);
	return aead_seal_nonce(a, nonce, aad, aad_len, pt, pt_len, out);
}

int
aead_open(struct aead *a, uint64_t counter, const uint8_t *aad, size_t aad_len,
    const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	uint8_t nonce[OCM_NONCE_LEN];

	aead_nonce(counter, nonce);
	return aead_open_nonce(a, nonce, aad, aad_len, ct, ct_len, out);
}
