/*
 * tls.h: ocmd's TLS 1.3 server context: the certificate (configured, or
 * generated once into state_dir), ALPN "ocm/1" required, no session
 * tickets (every TCRP exchange is one short connection).
 */
#ifndef OCM_TLS_H
#define OCM_TLS_H

#include <openssl/ssl.h>

#include "daemon/base/config.h"
#include "lib/keys.h"

#define TLS_CERT_FILE	"ocmd.crt"
#define TLS_KEY_FILE	"ocmd.key"

/*
 * Builds a server SSL_CTX from the config: [tls] certificate and
 * private_key when set, else state_dir/ocmd.crt and ocmd.key, generated
 * (Ed25519, key mode 0600) when absent and repaired when an interrupted
 * write left them cut short (each repair is logged).  Returns NULL with a
 * message in err; on success fingerprint holds the certificate's SHA256:
 * form and *generated tells whether a file was written now.
 */
SSL_CTX *tls_server_ctx(const struct config *cfg, char fingerprint[FINGERPRINT_LEN],
    bool *generated, char *err, size_t err_len);

/* The last OpenSSL error as text ("unknown" when the queue is empty);
 * clears the queue. */
const char *tls_error_string(char *buf, size_t len);

#endif
