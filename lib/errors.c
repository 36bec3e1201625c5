/*
 * errors.c: phrases for enum ocm_error, used in log lines and in the
 * messages of TCRP error responses.
 */
#include "lib/ocm.h"

static const char *const ocm_error_str[OCM_E_MAX_] = {
	[OCM_OK] = "success",
	[OCM_E_TRUNCATED] = "truncated input",
	[OCM_E_TOO_LARGE] = "length above the limit",
	[OCM_E_BAD_OPERATION] = "unknown operation",
	[OCM_E_BAD_STATE] = "unexpected state",
	[OCM_E_BAD_NAME] = "invalid name",
	[OCM_E_BAD_TOKEN] = "invalid token",
	[OCM_E_BAD_JSON] = "payload is not a JSON object",
	[OCM_E_MISSING_FIELD] = "required field missing",
	[OCM_E_BAD_FIELD] = "field has a bad type or value",
	[OCM_E_BAD_VERSION] = "unsupported protocol version",
	[OCM_E_BAD_TYPE] = "unknown message type",
	[OCM_E_MALFORMED] = "malformed message",
	[OCM_E_BAD_TEXT] = "invalid text",
	[OCM_E_AUTH] = "authentication failed",
	[OCM_E_NOSPC] = "buffer too small",
	[OCM_E_NOMEM] = "out of memory",
	[OCM_E_CRYPTO] = "cryptographic library failure",
};

const char *
ocm_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= OCM_E_MAX_ || ocm_error_str[err] == NULL)
		return "unknown error";
	return ocm_error_str[err];
}
