/*
 * log.c: the one place every program's log lines go through.  Each call
 * becomes exactly one line on stderr (or the journal, with a <N> priority
 * prefix), written with a single fwrite so that lines of concurrent
 * processes never interleave, and sanitized by lib/text.c's policy
 * (text_style_log): C0 controls and DEL as '?', C1 controls, bidi and
 * other format characters as "\u202E", ill-formed UTF-8 as '?', so that a
 * peer-controlled string quoted in a message can neither forge a line nor
 * make it display in another order.  Nothing here ends the program: the
 * callers decide what an error means.
 */
#include "lib/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/text.h"

/* A whole line, newline included; a longer one ends in "...". */
#define LOG_LINE_MAX		1024
#define LOG_PROGNAME_MAX	64
#define LOG_ELLIPSIS		"..."

struct log_state {
	char progname[LOG_PROGNAME_MAX];
	/* Most verbose level written; read by every thread of ocmd, set by
	 * its main thread on reload. */
	_Atomic int level;
	FILE *out;		/* NULL: stderr, looked up at each write */
	bool journal;		/* "<N>message", not "progname: message" */
	log_sink_fn *sink;	/* whole events, instead of out */
};

static struct log_state log_state = {
	.progname = "ocm",
	.level = LOG_LEVEL_INFO,
};

#define LOG_LEVELS	(LOG_LEVEL_DEBUG + 1)
#define LOG_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const log_level_names[LOG_LEVELS] = {
	[LOG_LEVEL_ERR] = "err",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* What a plain line says between the program name and the message; the
 * journal shows the priority instead. */
static const char *const log_level_tags[LOG_LEVELS] = {
	[LOG_LEVEL_ERR] = "error: ",
	[LOG_LEVEL_WARN] = "warning: ",
};

static const struct {
	const char *name;
	enum log_level level;
} log_level_words[] = {
	{ .name = "err", .level = LOG_LEVEL_ERR },
	{ .name = "error", .level = LOG_LEVEL_ERR },
	{ .name = "warning", .level = LOG_LEVEL_WARN },
	{ .name = "warn", .level = LOG_LEVEL_WARN },
	{ .name = "info", .level = LOG_LEVEL_INFO },
	{ .name = "debug", .level = LOG_LEVEL_DEBUG },
};

/* strtoull, but refusing the leading blanks and signs it would accept. */
static const char *
log_parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return NULL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 ? end : NULL;
}

/*
 * systemd sets JOURNAL_STREAM="DEV:INODE" for a service whose stderr is
 * the journal; the variable is inherited by children whose stderr may be
 * elsewhere, so it counts only if it names the stderr we actually have.
 */
static bool
log_journal_detect(void)
{
	const char *s = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	bool match = false;
	int saved = errno;

	if (s != NULL && (s = log_parse_ull(s, &dev)) != NULL && *s == ':' &&
	    (s = log_parse_ull(s + 1, &ino)) != NULL && *s == '\0' &&
	    fstat(STDERR_FILENO, &st) == 0)
		match = dev == (unsigned long long)st.st_dev &&
		    ino == (unsigned long long)st.st_ino;
	errno = saved;
	return match;
}

void
log_init(const char *progname, enum log_level level)
{
	if (progname != NULL)
		snprintf(log_state.progname, sizeof(log_state.progname), "%s",
		    progname);
	atomic_store_explicit(&log_state.level, (int)level, memory_order_relaxed);
	log_state.out = NULL;
	log_state.journal = log_journal_detect();
}

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_state.level, (int)level, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_state.level, memory_order_relaxed);
}

int
log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < LOG_NITEMS(log_level_words); i++) {
		if (strcmp(s, log_level_words[i].name) == 0)
			return (int)log_level_words[i].level;
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned int)level >= LOG_LEVELS || log_level_names[level] == NULL)
		return "unknown";
	return log_level_names[level];
}

void
log_set_output(FILE *f, bool journal)
{
	log_state.out = f;
	log_state.journal = journal;
}

bool
log_to_journal(void)
{
	return log_state.journal;
}

void
log_set_sink(log_sink_fn *fn)
{
	log_state.sink = fn;
}

/*
 * Appends to line (len bytes used, size bytes in all, NUL kept).  Returns
 * false when the text did not fit; then line is full.
 */
static bool OCM_PRINTF(4, 0)
log_vappend(char *line, size_t size, size_t *len, const char *fmt, va_list ap)
{
	int n = vsnprintf(line + *len, size - *len, fmt, ap);

	if (n < 0) {
		line[*len] = '\0';
		return true;	/* a bad argument: drop it, keep the line */
	}
	if ((size_t)n >= size - *len) {
		*len = size - 1;
		return false;
	}
	*len += (size_t)n;
	return true;
}

static bool OCM_PRINTF(4, 5)
log_append(char *line, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	bool fit;

	va_start(ap, fmt);
	fit = log_vappend(line, size, len, fmt, ap);
	va_end(ap);
	return fit;
}

/* Ends a full line with "...", cut before a UTF-8 sequence, not inside it. */
static size_t
log_truncate(char *line, size_t len, size_t start)
{
	size_t cut = len - strlen(LOG_ELLIPSIS);

	while (cut > start && ((unsigned char)line[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(line + cut, LOG_ELLIPSIS, strlen(LOG_ELLIPSIS));
	return cut + strlen(LOG_ELLIPSIS);
}

static const char *
log_level_tag(enum log_level level)
{
	if ((unsigned int)level >= LOG_LEVELS || log_level_tags[level] == NULL)
		return "";
	return log_level_tags[level];
}

/* Formats and writes one line; keeps errno as the caller left it. */
static void OCM_PRINTF(4, 0)
log_emit(enum log_level level, const struct log_event *ev, bool with_errno, const char *fmt,
    va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t len = 0, start;
	int saved = errno;
	FILE *out = log_state.out != NULL ? log_state.out : stderr;
	bool fit, sink = log_state.sink != NULL;

	if ((int)level > atomic_load_explicit(&log_state.level, memory_order_relaxed))
		return;
	if (sink)
		line[0] = '\0';
	else if (log_state.journal)
		log_append(line, sizeof(line), &len, "<%d>", (int)level);
	else
		log_append(line, sizeof(line), &len, "%s: %s",
		    log_state.progname, log_level_tag(level));
	start = len;
	fit = log_vappend(line, sizeof(line), &len, fmt, ap);
	if (fit && with_errno)
		fit = log_append(line, sizeof(line), &len, ": %s",
		    strerror(saved));
	if (!fit)
		len = log_truncate(line, len, start);
	/* Escapes make the line longer; one that then no longer fits is cut
	 * before the escape that would not, with room kept for the newline. */
	char clean[LOG_LINE_MAX + 64];
	len = text_sanitize((const uint8_t *)line, len, &text_style_log, clean,
	    sizeof(clean) - 1);
	if (sink && log_state.sink(level, ev, clean, len) == 0) {
		errno = saved;
		return;
	}
	if (sink) {
		/* The sink failed: the plain line, prefix and all. */
		char again[LOG_LINE_MAX + 128];
		len = (size_t)snprintf(again, sizeof(again) - 1, "%s: %s%s", log_state.progname,
		    log_level_tag(level), clean);
		if (len > sizeof(again) - 2)
			len = sizeof(again) - 2;
		memcpy(clean, again, len);
	}
	clean[len++] = '\n';
	fwrite(clean, 1, len, out);
	fflush(out);
	errno = saved;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	log_emit(level, NULL, false, fmt, ap);
}

void
log_event(enum log_level level, const struct log_event *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, ev, false, fmt, ap);
	va_end(ap);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, NULL, false, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, NULL, true, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, NULL, false, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, NULL, false, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_DEBUG, NULL, false, fmt, ap);
	va_end(ap);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, NULL, false, fmt, ap);
	va_end(ap);
}
