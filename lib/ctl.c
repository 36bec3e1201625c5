/*
 * ctl.c: the control protocol's table and codec (see ctl.h), shared by
 * ocmd's control server and ocmctl.
 */
#include "lib/ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/text.h"

static const char *const ctl_error_names[CTL_E_MAX_] = {
	[CTL_E_BAD_REQUEST] = "bad_request",
	[CTL_E_UNKNOWN_COMMAND] = "unknown_command",
	[CTL_E_BAD_ARGUMENTS] = "bad_arguments",
	[CTL_E_PERMISSION_DENIED] = "permission_denied",
	[CTL_E_NO_SUCH_ROOM] = "no_such_room",
	[CTL_E_NO_SUCH_MEMBER] = "no_such_member",
	[CTL_E_TOO_LARGE] = "too_large",
	[CTL_E_RELOAD_FAILED] = "reload_failed",
	[CTL_E_INTERNAL] = "internal",
};

static const struct {
	const char *name, *who;
} ctl_access_names[CTL_ACCESS_MAX_] = {
	[CTL_READ] = { "read", "root, ocmd's user, its group (ocmd), or group " CTL_ADMIN_GROUP },
	[CTL_WRITE] = { "write", "root, ocmd's user, or group " CTL_ADMIN_GROUP },
};

/* The rows of CTL_COMMANDS (lib/ctl.h), each at the index of its id. */
#define CTL_COMMAND_ROW_(ID, id, name, access, summary, args) \
	[CTL_CMD_##ID] = { CTL_CMD_##ID, name, access, summary, args },
const struct ctl_command ctl_commands[CTL_CMD_MAX_] = { CTL_COMMANDS(CTL_COMMAND_ROW_) };

const struct ctl_list ctl_lists[CTL_LIST_MAX_] = {
	[CTL_LIST_ROOMS] = { CTL_CMD_LIST_ROOMS, "rooms", "ROOM", CTL_ROOM_ROW_MAX,
	    CTL_ROOMS_HEAD_MAX, CTL_ROOMS_LIMIT_MAX },
	[CTL_LIST_MEMBERS] = { CTL_CMD_SHOW_ROOM, "members", "USER", CTL_MEMBER_ROW_MAX,
	    CTL_MEMBERS_HEAD_MAX, CTL_MEMBERS_LIMIT_MAX },
};

const char *
ctl_error_str(enum ctl_error e)
{
	return e > CTL_OK && e < CTL_E_MAX_ ? ctl_error_names[e] : NULL;
}

int
ctl_error_parse(const char *s)
{
	for (int i = CTL_OK + 1; i < CTL_E_MAX_; i++)
		if (strcmp(ctl_error_names[i], s) == 0)
			return i;
	return -1;
}

const char *
ctl_access_str(enum ctl_access a)
{
	return (unsigned)a < CTL_ACCESS_MAX_ ? ctl_access_names[a].name : NULL;
}

const char *
ctl_access_who(enum ctl_access a)
{
	return (unsigned)a < CTL_ACCESS_MAX_ ? ctl_access_names[a].who : NULL;
}

const struct ctl_command *
ctl_command_find(const char *name)
{
	for (size_t i = 0; i < CTL_CMD_MAX_; i++)
		if (strcmp(ctl_commands[i].name, name) == 0)
			return &ctl_commands[i];
	return NULL;
}

const struct ctl_list *
ctl_list_find(enum ctl_cmd cmd)
{
	for (int i = 0; i < CTL_LIST_MAX_; i++)
		if (ctl_lists[i].cmd == cmd)
			return &ctl_lists[i];
	return NULL;
}

int
ctl_limit_parse(const struct ctl_list *l, const char *s, unsigned *limit, char *why,
    size_t why_len)
{
	unsigned long v = 0;
	size_t i;

	/* Digits only: no sign, no spaces, no "0x"; short, so no overflow. */
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 7; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] != '\0' || v < 1 || v > l->limit_max) {
		snprintf(why, why_len, "limit must be a whole number from 1 to %u, the %s "
		    "in one page", l->limit_max, l->key);
		return -CTL_E_BAD_ARGUMENTS;
	}
	*limit = (unsigned)v;
	return 0;
}

int
ctl_after_check(const char *after, char *why, size_t why_len)
{
	size_t n = strlen(after);

	if (n < 1 || n > OCM_NAME_MAX) {
		snprintf(why, why_len, "after must be a name of 1 to %d bytes", OCM_NAME_MAX);
		return -CTL_E_BAD_ARGUMENTS;
	}
	return 0;
}

unsigned
ctl_page_limit(const struct ctl_list *l, json_t *args)
{
	const char *s = ctl_arg(args, "limit");
	unsigned limit = l->limit_max;	/* ctl_limit_parse leaves it on failure */
	char why[128];

	if (s != NULL)
		ctl_limit_parse(l, s, &limit, why, sizeof(why));
	return limit;
}

/* A paged command's own arguments, each a string (checked already). */
static int
page_arg_check(const struct ctl_list *l, const char *key, json_t *v, char *why,
    size_t why_len)
{
	unsigned limit;

	if (strcmp(key, "limit") == 0)
		return ctl_limit_parse(l, json_string_value(v), &limit, why, why_len);
	return ctl_after_check(json_string_value(v), why, why_len);
}

static bool
page_arg(const struct ctl_list *l, const char *key)
{
	return l != NULL && (strcmp(key, "limit") == 0 || strcmp(key, "after") == 0);
}

static const struct ctl_arg *
command_arg(const struct ctl_command *c, const char *name)
{
	for (int i = 0; i < CTL_MAX_ARGS && c->args[i].name != NULL; i++)
		if (strcmp(c->args[i].name, name) == 0)
			return &c->args[i];
	return NULL;
}

/* Strict arguments: each known, each a string, the required ones there. */
static int
args_check(const struct ctl_command *c, json_t *args, char *why, size_t why_len)
{
	const struct ctl_list *l = ctl_list_find(c->id);
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach(args, key, v) {
		if (command_arg(c, key) == NULL && !page_arg(l, key)) {
			snprintf(why, why_len, "%s takes no argument '%.64s'", c->name, key);
			return -CTL_E_BAD_ARGUMENTS;
		}
		if (!json_is_string(v)) {
			snprintf(why, why_len, "argument '%s' must be a string", key);
			return -CTL_E_BAD_ARGUMENTS;
		}
		if (page_arg(l, key) && (rc = page_arg_check(l, key, v, why, why_len)) < 0)
			return rc;
	}
	for (int i = 0; i < CTL_MAX_ARGS && c->args[i].name != NULL; i++)
		if (c->args[i].required && json_object_get(args, c->args[i].name) == NULL) {
			snprintf(why, why_len, "%s needs the argument '%s'", c->name,
			    c->args[i].name);
			return -CTL_E_BAD_ARGUMENTS;
		}
	return 0;
}

int
ctl_request_parse(const char *line, size_t len, const struct ctl_command **cmd,
    json_t **args, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *name, *a;
	int rc;

	if (root == NULL || !json_is_object(root)) {
		snprintf(why, why_len, "a request is one JSON object per line%s%s",
		    root == NULL ? ": " : "", root == NULL ? jerr.text : "");
		json_decref(root);
		return -CTL_E_BAD_REQUEST;
	}
	name = json_object_get(root, "command");
	a = json_object_get(root, "args");
	if (!json_is_string(name)) {
		snprintf(why, why_len, "\"command\" must be a string");
		rc = -CTL_E_BAD_REQUEST;
	} else if ((*cmd = ctl_command_find(json_string_value(name))) == NULL) {
		snprintf(why, why_len, "unknown command '%.64s' (see ocmctl --help)",
		    json_string_value(name));
		rc = -CTL_E_UNKNOWN_COMMAND;
	} else if (a != NULL && !json_is_object(a)) {
		snprintf(why, why_len, "\"args\" must be an object");
		rc = -CTL_E_BAD_ARGUMENTS;
	} else {
		a = a != NULL ? json_incref(a) : json_object();
		rc = args_check(*cmd, a, why, why_len);
		if (rc == 0)
			*args = a;
		else
			json_decref(a);
	}
	json_decref(root);
	return rc;
}

const char *
ctl_arg(json_t *args, const char *name)
{
	return json_string_value(json_object_get(args, name));
}

/* Compact JSON and a newline. */
static char *
dump_line(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *
ctl_request_build(const char *command, json_t *args)
{
	return dump_line(json_pack("{s:s, s:O}", "command", command, "args",
	    args != NULL ? args : json_object()));
}

char *
ctl_reply_ok(json_t *result)
{
	return dump_line(json_pack("{s:b, s:o}", "ok", 1, "result",
	    result != NULL ? result : json_object()));
}

char *
ctl_reply_error(enum ctl_error e, const char *message)
{
	const char *code = ctl_error_str(e);
	char clean[1024];	/* messages are one line for people */

	/* A message may quote what the peer sent (jansson's error text does,
	 * and so does a cut '%.64s'): JSON needs it to be valid UTF-8. */
	if (message == NULL)
		message = "";
	utf8_sanitize((const uint8_t *)message, strlen(message), false, clean, sizeof(clean));
	return dump_line(json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
	    code != NULL ? code : "internal", "message", clean));
}

char *
ctl_reply_too_large(const char *command, size_t size)
{
	char why[256];

	snprintf(why, sizeof(why), "the reply to %.64s would be %zu bytes, more than the %d "
	    "a reply may have; this is a bug in ocmd, please report it", command, size,
	    CTL_REPLY_MAX);
	return ctl_reply_error(CTL_E_TOO_LARGE, why);
}

int
ctl_reply_parse(const char *line, size_t len, bool *ok, json_t **result,
    enum ctl_error *err, char *message, size_t message_len)
{
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *okv = json_object_get(root, "ok");
	int rc = -1;

	if (json_is_true(okv) && json_is_object(json_object_get(root, "result"))) {
		*ok = true;
		*result = json_incref(json_object_get(root, "result"));
		rc = 0;
	} else if (json_is_false(okv)) {
		json_t *e = json_object_get(root, "error");
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		int c = code != NULL ? ctl_error_parse(code) : -1;
		/* A code from a newer ocmd is still a refusal, not garbage. */
		if (code != NULL && msg != NULL) {
			*ok = false;
			*err = c >= 0 ? (enum ctl_error)c : CTL_E_INTERNAL;
			snprintf(message, message_len, "%s", msg);
			rc = 0;
		}
	}
	json_decref(root);
	return rc;
}
