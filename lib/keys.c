/* keys.c: not yet written. */
typedef int ocm_keys_placeholder;
