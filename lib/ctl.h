/*
 * ctl.h: the control protocol between ocmd and ocmctl (ocmctl(8)): one
 * JSON object per line each way over a Unix stream socket.
 *
 *   request  {"command": "kill-room", "args": {"room": "lobby", "reason": "spam"}}
 *   reply    {"ok": true, "result": {...}}
 *            {"ok": false, "error": {"code": "no_such_room", "message": "..."}}
 *
 * One table describes every command (its arguments, whether it changes
 * anything, a summary): CTL_COMMANDS below.  The daemon dispatches with it
 * and ocmctl parses argv, prints --help and completes from it, so the two
 * cannot drift.
 * A second table, of the lists that come in pages, holds the sizes both
 * ends keep to.
 */
#ifndef OCM_CTL_H
#define OCM_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/ocm.h"

#define CTL_PROTOCOL		1
#define CTL_LINE_MAX		65536	/* bytes in one request line, newline included */
#define CTL_MAX_ARGS		3

/* Bytes in one reply line, newline included: ocmd replies too_large
 * rather than send more, and ocmctl reads no more. */
#define CTL_REPLY_MAX		(1024 * 1024)

/* Errors start at 1 so that every one is a negative return value. */
enum ctl_error {
	CTL_OK = 0,
	CTL_E_BAD_REQUEST,		/* not one JSON object, or no "command" */
	CTL_E_UNKNOWN_COMMAND,
	CTL_E_BAD_ARGUMENTS,		/* missing, unknown or mistyped argument */
	CTL_E_PERMISSION_DENIED,
	CTL_E_NO_SUCH_ROOM,
	CTL_E_NO_SUCH_MEMBER,
	CTL_E_TOO_LARGE,		/* a request above CTL_LINE_MAX, a reply above CTL_REPLY_MAX */
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

/*
 * Every command, a row each:
 *
 *   X(ID, id, "name", access, "summary", args)
 *
 * CTL_CMD_ID is its number (enum ctl_cmd), "name" what the wire and
 * ocmctl's command line call it, access who may run it, summary what
 * ocmctl --help says of it, and args its arguments in ocmctl's positional
 * order, required ones first: CTL_ARGS({ "name", required, "help" }, ...),
 * at most CTL_MAX_ARGS, or CTL_ARGS_NONE.
 *
 * lib/ctl.c makes ctl_commands[] of the rows; ocmd's handler table
 * (daemon/control/commands.c) takes cmd_id and ocmctl's view table
 * (ctl/output.c) view_id for each row, so that a command without either
 * does not compile.  To add a command: add its row here, write cmd_id in
 * daemon/control/commands.c and view_id in ctl/output.c, and describe it in
 * man/ocmctl.8 (ocmctl_cli.test checks that the page names every row).
 * A result that comes in pages also needs its entry in ctl_lists below.
 * ocmctl_cli.test reads the rows as text: keep each row's X(ID, id,
 * "name", access on one line.
 */
#define CTL_ARGS(...)		{ __VA_ARGS__ }
#define CTL_ARGS_NONE		{ { NULL, false, NULL } }

#define CTL_COMMANDS(X) \
	X(STATUS, status, "status", CTL_READ, \
	    "version, uptime, fingerprint, listeners, rooms and members", CTL_ARGS_NONE) \
	X(LIST_ROOMS, list_rooms, "list-rooms", CTL_READ, \
	    "every room with its member counts", CTL_ARGS_NONE) \
	X(SHOW_ROOM, show_room, "show-room", CTL_READ, \
	    "one room's members: address, host, idle time, messages", \
	    CTL_ARGS({ "room", true, "the room's name" })) \
	X(KILL_ROOM, kill_room, "kill-room", CTL_WRITE, \
	    "close a room; its members get CLOSED(ROOM_KILLED)", \
	    CTL_ARGS({ "room", true, "the room's name" }, \
	    { "reason", false, "text shown to the members" })) \
	X(KICK, kick, "kick", CTL_WRITE, \
	    "remove a member; it gets CLOSED(KICKED), the others a notice", \
	    CTL_ARGS({ "room", true, "the room's name" }, \
	    { "user", true, "the member's name" }, \
	    { "reason", false, "text shown to the member" })) \
	X(STATS, stats, "stats", CTL_READ, \
	    "every counter: handshakes, datagrams, bytes, drops, peaks", CTL_ARGS_NONE) \
	X(RELOAD, reload, "reload", CTL_WRITE, \
	    "re-read the configuration and certificate (as SIGHUP)", CTL_ARGS_NONE)

#define CTL_CMD_ENUM_(ID, ...)	CTL_CMD_##ID,
enum ctl_cmd { CTL_COMMANDS(CTL_CMD_ENUM_) CTL_CMD_MAX_ };

struct ctl_arg {
	const char *name;
	bool required;
	const char *help;
};

struct ctl_command {
	enum ctl_cmd id;		/* its index in ctl_commands[] */
	const char *name;
	enum ctl_access access;		/* who may run it; writes are logged */
	const char *summary;
	struct ctl_arg args[CTL_MAX_ARGS];	/* positional order for ocmctl */
};

/* The rows of CTL_COMMANDS, in their order. */
extern const struct ctl_command ctl_commands[CTL_CMD_MAX_];

/* The command of that name, or NULL. */
const struct ctl_command *ctl_command_find(const char *name);

/*
 * The lists that can outgrow one reply come in pages: in byte order of
 * their names (name_cmp(), as LIST_ROOMS in doc/protocol.md 5.5), the
 * arguments "limit" (a decimal string, 1 to limit_max; limit_max when
 * absent) and "after" (a name: only what sorts after it), and in the
 * result "more" (true when names after the page's last exist) with
 * "next" (that last name, the "after" of the next page) when it is true.
 *
 * limit_max is the largest page that, at its worst, fits CTL_REPLY_MAX:
 * every name OCM_NAME_MAX bytes long and every byte of it escaped as
 * \u00XX, every number as long as a JSON integer can be.  The row and
 * head bounds say what each list holds; check_ctl builds the worst page
 * with ocmd's own code and measures it.
 */
#define CTL_JSON_STRING_MAX(n)	(2 + 6 * (size_t)(n))	/* quoted, each byte \u00XX */
#define CTL_JSON_INTEGER_MAX	20			/* "-9223372036854775808" */
#define CTL_JSON_KEYS_MAX	128			/* keys, booleans, punctuation */

/* list-rooms: a room's name and host's name, five numbers, and in a
 * cluster the node's name (63 bytes of [A-Za-z0-9_-], never escaped) and
 * its key. */
#define CTL_NODE_MAX		(2 + 63 + 16)
#define CTL_ROOM_ROW_MAX	(2 * CTL_JSON_STRING_MAX(OCM_NAME_MAX) + \
				 5 * CTL_JSON_INTEGER_MAX + CTL_JSON_KEYS_MAX + CTL_NODE_MAX)
#define CTL_ROOMS_HEAD_MAX	(CTL_JSON_STRING_MAX(OCM_NAME_MAX) + CTL_JSON_KEYS_MAX)
#define CTL_ROOMS_LIMIT_MAX	300
/* show-room: a member's name, "[IPv6]:port", three numbers; the head is
 * the room's name, host's name, three numbers and "next". */
#define CTL_ADDRESS_MAX		64
#define CTL_MEMBER_ROW_MAX	(CTL_JSON_STRING_MAX(OCM_NAME_MAX) + CTL_ADDRESS_MAX + \
				 3 * CTL_JSON_INTEGER_MAX + CTL_JSON_KEYS_MAX)
#define CTL_MEMBERS_HEAD_MAX	(3 * CTL_JSON_STRING_MAX(OCM_NAME_MAX) + \
				 3 * CTL_JSON_INTEGER_MAX + 2 * CTL_JSON_KEYS_MAX)
#define CTL_MEMBERS_LIMIT_MAX	500

_Static_assert(CTL_ROOMS_HEAD_MAX + CTL_ROOMS_LIMIT_MAX * CTL_ROOM_ROW_MAX <= CTL_REPLY_MAX,
    "the largest page of list-rooms must fit one reply");
_Static_assert(CTL_MEMBERS_HEAD_MAX + CTL_MEMBERS_LIMIT_MAX * CTL_MEMBER_ROW_MAX <=
    CTL_REPLY_MAX, "the largest page of show-room must fit one reply");

enum ctl_list_id { CTL_LIST_ROOMS, CTL_LIST_MEMBERS, CTL_LIST_MAX_ };

struct ctl_list {
	enum ctl_cmd cmd;		/* the command whose result is paged */
	const char *key;		/* the result's array: "rooms" */
	const char *after_arg;		/* what "after" names, for usage: "ROOM" */
	size_t row_max, head_max;	/* bytes, worst case */
	unsigned limit_max;		/* the default and the largest limit */
};

extern const struct ctl_list ctl_lists[CTL_LIST_MAX_];

/* The list of a command, or NULL when its result is not paged. */
const struct ctl_list *ctl_list_find(enum ctl_cmd cmd);

/*
 * A limit as given ("300"): 0 with *limit set, or -CTL_E_BAD_ARGUMENTS
 * with a message in why.  ocmd and ocmctl both check with it.
 */
int ctl_limit_parse(const struct ctl_list *l, const char *s, unsigned *limit, char *why,
    size_t why_len);
/* An "after": a name of 1 to OCM_NAME_MAX bytes; returns as the above. */
int ctl_after_check(const char *after, char *why, size_t why_len);
/* The limit of checked arguments: limit_max when absent. */
unsigned ctl_page_limit(const struct ctl_list *l, json_t *args);

/*
 * Parses one request line (without its newline).  On success returns 0,
 * *cmd is the command and *args a new reference to its arguments (an
 * object; {} when absent), every one a string, each known to the command
 * (a paged command's "limit" and "after" checked as above) and every
 * required one present.  Otherwise returns a negative enum ctl_error and
 * writes a message for the reply into why.
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
/* The too_large reply that takes the place of a reply of size bytes to
 * command: ocmd never sends more than CTL_REPLY_MAX. */
char *ctl_reply_too_large(const char *command, size_t size);

/*
 * Parses a reply line.  Returns 0 with *ok set and either *result (a new
 * reference) or *err and message filled, or -1 when the line is not a
 * reply at all.
 */
int ctl_reply_parse(const char *line, size_t len, bool *ok, json_t **result,
    enum ctl_error *err, char *message, size_t message_len);

#endif
