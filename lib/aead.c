/* aead.c: not yet written. */
typedef int ocm_aead_placeholder;
