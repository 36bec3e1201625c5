/*
 * log.h: one line per event on stderr.  When stderr is the journal
 * (JOURNAL_STREAM names it) each line starts with a <N> syslog priority so
 * journald files it at the right level; otherwise lines start with the
 * program name.  log_warn appends strerror(errno); log_warnx does not.
 * Logging never exits: a program that cannot go on says so with
 * log_errx() and stops itself.
 */
#ifndef OCM_LOG_H
#define OCM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERR = 3,	/* the syslog priorities */
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Sets the program name and the most verbose level written, and looks at
 * JOURNAL_STREAM once.  Before log_init: "ocm", info, plain. */
void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "err", "warning", "info", "debug" -> level; -1 when unknown. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level level);
/* Redirects output (tests); NULL restores stderr.  Forces plain format
 * unless journal is true. */
void log_set_output(FILE *f, bool journal);
/* Whether stderr is the journal (JOURNAL_STREAM, as log_init saw it). */
bool log_to_journal(void);

/*
 * What an event is about, for a log that keeps fields (the journal):
 * a MESSAGE_ID per kind of event, and the room, user and address it
 * concerns, NULL when none.  The text of the line is the same either way.
 */
struct log_event {
	const char *id;			/* 32 hex digits */
	const char *name;		/* "room_created", ... */
	const char *room, *user, *address;
};

/*
 * A sink takes each line (its message sanitised, without prefix or
 * newline) with its event, NULL for a plain line, instead of stderr.
 * Returns 0, or -1 to have the line written to stderr after all.  NULL
 * restores stderr.  Set once, before any thread starts.
 */
typedef int log_sink_fn(enum log_level level, const struct log_event *ev, const char *msg,
    size_t len);
void log_set_sink(log_sink_fn *fn);

#define OCM_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_warn(const char *fmt, ...) OCM_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) OCM_PRINTF(1, 2);
void log_info(const char *fmt, ...) OCM_PRINTF(1, 2);
void log_debug(const char *fmt, ...) OCM_PRINTF(1, 2);
void log_errx(const char *fmt, ...) OCM_PRINTF(1, 2);
void log_msg(enum log_level level, const char *fmt, ...) OCM_PRINTF(2, 3);
void log_vmsg(enum log_level level, const char *fmt, va_list ap) OCM_PRINTF(2, 0);
void log_event(enum log_level level, const struct log_event *ev, const char *fmt, ...)
    OCM_PRINTF(3, 4);

#endif
