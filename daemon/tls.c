/*
 * tls.c: the server's TLS context.  TLS 1.3 only, ALPN "ocm/1" or a
 * no_application_protocol alert (PROTOCOL.md 2).  The certificate is
 * either the administrator's or one this file generates on first start and
 * keeps in state_dir, so that the fingerprint clients pinned stays the
 * same across restarts.
 */
#include "daemon/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/ocm.h"

const char *
tls_error_string(char *buf, size_t len)
{
	return keys_tls_error(buf, len, "unknown error");
}

/* Writes a PEM file with O_EXCL and the given mode; a partial file is
 * removed. */
static int
pem_write(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	int ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
	    : PEM_write_X509(f, cert);
	if (fclose(f) != 0 || ok != 1) {
		unlink(path);
		return -1;
	}
	return 0;
}

static int
generate_cert(const char *cert_path, const char *key_path, char *err, size_t err_len)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char host[256] = "ocmd";
	char why[256];

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (keys_selfsigned(host, 3650, &key, &cert) < 0) {
		snprintf(err, err_len, "cannot generate a certificate: %s",
		    tls_error_string(why, sizeof(why)));
		return -1;
	}
	int rc = 0;
	if (pem_write(key_path, 0600, key, NULL) < 0) {
		snprintf(err, err_len, "cannot write %s: %s (is state_dir writable?)",
		    key_path, strerror(errno));
		rc = -1;
	} else if (pem_write(cert_path, 0644, NULL, cert) < 0) {
		snprintf(err, err_len, "cannot write %s: %s", cert_path, strerror(errno));
		unlink(key_path);
		rc = -1;
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

/* Loads the pair into ctx and computes the fingerprint. */
static int
load_pair(SSL_CTX *ctx, const char *cert_path, const char *key_path,
    char fingerprint[FINGERPRINT_LEN], char *err, size_t err_len)
{
	char why[256];

	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		snprintf(err, err_len, "cannot load certificate %s: %s", cert_path,
		    tls_error_string(why, sizeof(why)));
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, err_len, "cannot load private key %s (or it does not match %s): %s",
		    key_path, cert_path, tls_error_string(why, sizeof(why)));
		return -1;
	}
	if (keys_fingerprint(SSL_CTX_get0_certificate(ctx), fingerprint) < 0) {
		snprintf(err, err_len, "cannot fingerprint %s", cert_path);
		return -1;
	}
	return 0;
}

SSL_CTX *
tls_server_ctx(const struct config *cfg, char fingerprint[FINGERPRINT_LEN], bool *generated,
    char *err, size_t err_len)
{
	char cert_path[CONFIG_PATH_MAX + 16], key_path[CONFIG_PATH_MAX + 16];
	char why[256];
	struct stat st;

	*generated = false;
	if (cfg->certificate[0] != '\0') {
		snprintf(cert_path, sizeof(cert_path), "%s", cfg->certificate);
		snprintf(key_path, sizeof(key_path), "%s", cfg->private_key);
	} else {
		snprintf(cert_path, sizeof(cert_path), "%s/%s", cfg->state_dir, TLS_CERT_FILE);
		snprintf(key_path, sizeof(key_path), "%s/%s", cfg->state_dir, TLS_KEY_FILE);
		if (stat(key_path, &st) < 0 && errno == ENOENT) {
			/* A certificate without its key is useless: replace both. */
			unlink(cert_path);
			if (generate_cert(cert_path, key_path, err, err_len) < 0)
				return NULL;
			*generated = true;
		}
	}

	SSL_CTX *ctx = keys_server_ctx();
	if (ctx == NULL) {
		snprintf(err, err_len, "cannot create a TLS context: %s",
		    tls_error_string(why, sizeof(why)));
		return NULL;
	}
	if (load_pair(ctx, cert_path, key_path, fingerprint, err, err_len) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
