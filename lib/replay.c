/* replay.c: not yet written. */
typedef int ocm_replay_placeholder;
