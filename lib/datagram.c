/* datagram.c: not yet written. */
typedef int ocm_datagram_placeholder;
