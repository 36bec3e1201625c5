/*
 * fuzz_ctl.c: the control protocol's request and reply parsers, as ocmd
 * and ocmctl run them on whatever a peer writes.  A request that parses
 * must name a command of the table and carry only string arguments; its
 * reply must parse back.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/ctl.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ctl_command *cmd;
	json_t *args = NULL, *result = NULL;
	char why[256], msg[256];
	enum ctl_error err;
	bool ok;

	int rc = ctl_request_parse((const char *)data, size, &cmd, &args, why, sizeof(why));
	if (rc > 0 || (rc == 0 && (ctl_command_find(cmd->name) != cmd || !json_is_object(args))))
		abort();
	char *reply = rc == 0 ? ctl_reply_ok(json_incref(args)) :
	    ctl_reply_error((enum ctl_error)-rc, why);
	if (reply == NULL || ctl_reply_parse(reply, strlen(reply), &ok, &result, &err, msg,
	    sizeof(msg)) < 0 || ok != (rc == 0))
		abort();
	json_decref(result);
	json_decref(args);
	free(reply);
	if (ctl_reply_parse((const char *)data, size, &ok, &result, &err, msg, sizeof(msg)) == 0)
		json_decref(ok ? result : NULL);
	return 0;
}
