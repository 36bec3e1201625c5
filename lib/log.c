/* log.c: not yet written. */
typedef int ocm_log_placeholder;
