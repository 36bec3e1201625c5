/* payload.c: not yet written. */
typedef int ocm_payload_placeholder;
