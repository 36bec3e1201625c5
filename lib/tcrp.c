/* tcrp.c: not yet written. */
typedef int ocm_tcrp_placeholder;
