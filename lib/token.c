/* token.c: not yet written. */
typedef int ocm_token_placeholder;
