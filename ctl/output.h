/*
 * output.h: how ocmctl prints what ocmd answered.  main.c picks one output
 * (text for people, JSON for scripts, quiet for completion) and hands it the
 * command's view, the format description in output.c; every command goes
 * through the same calls, whatever the output.
 */
#ifndef OCM_CTL_OUTPUT_H
#define OCM_CTL_OUTPUT_H

#include <jansson.h>

struct ctl_command;
struct ctl_list;
struct view;

struct output {
	/* The result of a successful command; returns 0, or -1 when it could
	 * not be printed (stdout closed, out of memory). */
	int (*result)(const struct view *v, json_t *result);
	/* A refusal: the wire code and the daemon's message. */
	void (*error)(const char *code, const char *message);
	/* After one page of a paged list: whether more follow and the
	 * --after that gets them; returns as result. */
	int (*page)(const struct ctl_list *l, json_t *result);
};

extern const struct output output_text;	/* aligned tables and lines */
extern const struct output output_json;	/* the result as ocmd sent it (escaped) */
extern const struct output output_quiet;	/* the first column of the table only */

/* Once, before any output: widths follow the locale (LC_CTYPE). */
void output_init(void);

/* The view of a command of the table (lib/ctl.h). */
const struct view *view_find(const struct ctl_command *c);

/* What -q prints for this view ("print only the room names"), or NULL when
 * the command has no table and so no -q. */
const char *view_quiet_help(const struct view *v);

/* s with every control character (C0, DEL, C1), format character (bidi
 * controls, invisible characters, line separators: lib/text.h) and byte
 * of invalid UTF-8 replaced by '?'; malloc'ed (ocmctl exits when out of
 * memory). */
char *output_clean(const char *s);

#endif
