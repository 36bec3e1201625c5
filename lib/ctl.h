/*
 * ctl.h: the control protocol between ocmd and ocmctl (DESIGN.md): one
 * JSON object per line each way over a Unix stream socket.
 *
 *   request  {"command": "kill-room", "args": {"room": "lobby", "reason": "spam"}}
 *   reply    {"ok": true, "result": {...}}
 *            {"ok": false, "error": {"code": "no_such_room", "message": "..."}}
 *
 * One table describes every command (its arguments, whether it changes
 * anything, a summary); the daemon dispatches with it and ocmctl parses
 * argv, prints --help and completes from it, so the two cannot drift.
 */
#ifndef OCM_CTL_H
#define OCM_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CTL_PROTOCOL		1
#define CTL_LINE_MAX		65536	/* bytes in one request line, newline included */
#define CTL_MAX_ARGS		3

/* Errors start at 1 so that every one is a negative return value. */
enum ctl_error {
	CTL_OK = 0,
	CTL_E_BAD_REQUEST,		/* not one JSON object, or no "command" */
	CTL_E_UNKNOWN_COMMAND,
	CTL_E_BAD_ARGUMENTS,		/* missing, unknown or mistyped argument */
	CTL_E_PERMISSION_DENIED,
	CTL_E_NO_SUCH_ROOM,
	CTL_E_NO_SUCH_MEMBER,
	CTL_E_TOO_LARGE,		/* a request line above CTL_LINE_MAX */
	CTL_E_RELOAD_FAILED,
	CTL_E_INTERNAL,
	CTL_E_MAX_
};

/* "bad_request", ...; NULL for CTL_OK or out of range. */
const char *ctl_error_str(enum ctl_error e);
/* The error for a wire string; -1 when unknown. */
int ctl_error_parse(const char *s);

/*
 * Each command reads or writes (changes the daemon).  ocmd serves a read
 * to root, its own user and members of its group (ocmd), a write to root,
 * its own user and members of CTL_ADMIN_GROUP (who may read too), looked
 * up by name: without that group, only root and ocmd's user may write.
 * ocmctl's --help and ocmctl(8) group the commands by this same flag.
 */
#define CTL_ADMIN_GROUP		"ocmd-admin"

enum ctl_access { CTL_READ, CTL_WRITE, CTL_ACCESS_MAX_ };

/* "read" or "write"; NULL out of range. */
const char *ctl_access_str(enum ctl_access a);
/* Who may run a command of that access, as the end of a sentence: "root,
 * ocmd's user, or group ocmd-admin"; NULL out of range. */
const char *ctl_access_who(enum ctl_access a);

struct ctl_arg {
	const char *name;
	bool required;
	const char *help;
};

struct ctl_command {
	const char *name;
	enum ctl_access access;		/* who may run it; writes are logged */
	const char *summary;
	struct ctl_arg args[CTL_MAX_ARGS];	/* positional order for ocmctl */
};

extern const struct ctl_command ctl_commands[];
extern const size_t ctl_n_commands;

const struct ctl_command *ctl_command_find(const char *name);

/*
 * Parses one request line (without its newline).  On success returns 0,
 * *cmd is the command and *args a new reference to its arguments (an
 * object; {} when absent), every one a string, each known to the command
 * and every required one present.  Otherwise returns a negative enum
 * ctl_error and writes a message for the reply into why.
 */
int ctl_request_parse(const char *line, size_t len, const struct ctl_command **cmd,
    json_t **args, char *why, size_t why_len);

/* The string value of an argument, or NULL when absent. */
const char *ctl_arg(json_t *args, const char *name);

/* Builds a request line ("...\n"); args may be NULL.  malloc'ed. */
char *ctl_request_build(const char *command, json_t *args);
/* Reply lines ("...\n"), malloc'ed; ctl_reply_ok steals result. */
char *ctl_reply_ok(json_t *result);
char *ctl_reply_error(enum ctl_error e, const char *message);

/*
 * Parses a reply line.  Returns 0 with *ok set and either *result (a new
 * reference) or *err and message filled, or -1 when the line is not a
 * reply at all.
 */
int ctl_reply_parse(const char *line, size_t len, bool *ok, json_t **result,
    enum ctl_error *err, char *message, size_t message_len);

#endif
