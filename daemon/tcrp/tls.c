/*
 * tls.c: the server's TLS context.  TLS 1.3 only, ALPN "ocm/1" or a
 * no_application_protocol alert (doc/protocol.md 3).  The certificate is
 * either the administrator's or one this file generates on first start and
 * keeps in state_dir, so that the fingerprint clients pinned stays the
 * same across restarts.
 *
 * The generated pair is written so that a crash at any point leaves
 * something the next start can use or repair: each file goes to a
 * temporary name, is synced and renamed over the final one, key first
 * and certificate last, so a certificate on disk implies a whole key.
 * What an interrupted write of an older ocmd leaves (an empty or cut-off
 * PEM file) is repaired at start, keeping the key whenever it survived.
 */
#include "daemon/tcrp/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/ocm.h"

#define TLS_TMP_SUFFIX	".tmp"
#define TLS_CERT_DAYS	3650
#define PEM_MAX		(64 * 1024)	/* far above any key or certificate we make */

/* What a generated PEM file holds. */
enum pem_state {
	PEM_MISSING,
	PEM_CUT,	/* empty or without its END line: an interrupted write */
	PEM_OK,
};

const char *
tls_error_string(char *buf, size_t len)
{
	return keys_tls_error(buf, len, "unknown error");
}

/* Paths of the generated pair and of their temporary names. */
struct state_files {
	const char *dir;
	char key[CONFIG_PATH_MAX + 16], cert[CONFIG_PATH_MAX + 16];
	char key_tmp[CONFIG_PATH_MAX + 24], cert_tmp[CONFIG_PATH_MAX + 24];
};

static void
state_files_init(struct state_files *sf, const char *dir)
{
	sf->dir = dir;
	snprintf(sf->key, sizeof(sf->key), "%s/%s", dir, TLS_KEY_FILE);
	snprintf(sf->cert, sizeof(sf->cert), "%s/%s", dir, TLS_CERT_FILE);
	snprintf(sf->key_tmp, sizeof(sf->key_tmp), "%s" TLS_TMP_SUFFIX, sf->key);
	snprintf(sf->cert_tmp, sizeof(sf->cert_tmp), "%s" TLS_TMP_SUFFIX, sf->cert);
}

/* A rename or unlink is durable once its directory is synced. */
static int
dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int
pem_put(FILE *f, EVP_PKEY *key, X509 *cert)
{
	int ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
	    : PEM_write_X509(f, cert);

	if (ok != 1 || fflush(f) != 0)
		return errno != 0 ? -errno : -EIO;
	return fsync(fileno(f)) < 0 ? -errno : 0;
}

/*
 * Writes key or cert to tmp (created with O_EXCL and mode), syncs it and
 * renames it over path.  On failure tmp is gone and path untouched.
 * Returns 0 or a negative errno.
 */
static int
pem_write(const char *dir, const char *path, const char *tmp, mode_t mode, EVP_PKEY *key,
    X509 *cert)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		int r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	errno = 0;
	int r = pem_put(f, key, cert);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return dir_sync(dir);
}

/* Reads at most PEM_MAX bytes of path into buf.  Returns the length,
 * -ENOENT, or another negative errno. */
static ssize_t
file_slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len < size && (n = read(fd, buf + len, size - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

static void *
pem_parse(const char *buf, size_t len, bool is_key)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	void *obj = NULL;

	if (bio == NULL)
		return NULL;
	/* An empty passphrase: never prompt on a terminal. */
	obj = is_key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"")
	    : (void *)PEM_read_bio_X509(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	return obj;
}

/*
 * Loads one generated file into *out.  A file that is missing or that an
 * interrupted write cut short is reported as such, for the caller to
 * replace; one that cannot be read, or that is whole but does not parse
 * (an administrator's encrypted key, say), is an error: ocmd never
 * overwrites what it cannot tell is its own unfinished work.
 */
static int
pem_load(const char *path, bool is_key, void **out, char *err, size_t err_len)
{
	static char buf[PEM_MAX];	/* only the main thread: start, SIGHUP */
	char why[256];
	ssize_t n = file_slurp(path, buf, sizeof(buf));
	int st = PEM_OK;

	*out = NULL;
	if (n == -ENOENT)
		return PEM_MISSING;
	if (n < 0) {
		snprintf(err, err_len, "cannot read %s: %s", path, strerror((int)-n));
		return -1;
	}
	if (n == 0 || memmem(buf, (size_t)n, "-----END ", 9) == NULL)
		st = PEM_CUT;
	else if ((*out = pem_parse(buf, (size_t)n, is_key)) == NULL) {
		snprintf(err, err_len, "%s is not a PEM %s ocmd can use: %s (move it away and "
		    "ocmd generates a replacement)", path, is_key ? "private key" : "certificate",
		    tls_error_string(why, sizeof(why)));
		st = -1;
	}
	OPENSSL_cleanse(buf, (size_t)(n > 0 ? n : 0));
	return st;
}

/* The name the generated certificate carries (clients pin the key, not
 * the name). */
static void
host_name(char *buf, size_t size)
{
	snprintf(buf, size, "ocmd");
	gethostname(buf, size - 1);
	buf[size - 1] = '\0';
}

/*
 * A new certificate for a key that survived: keys_selfsigned() makes a
 * whole new pair; its certificate takes key's public half and is signed
 * again with it.
 */
static X509 *
cert_issue(EVP_PKEY *key)
{
	EVP_PKEY *fresh = NULL;
	X509 *cert = NULL;
	char host[256];

	host_name(host, sizeof(host));
	if (keys_selfsigned(host, TLS_CERT_DAYS, &fresh, &cert) < 0)
		return NULL;
	EVP_PKEY_free(fresh);
	/* Ed25519 and Ed448 hash internally and take no digest. */
	const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ?
	    NULL : EVP_sha256();
	if (X509_set_pubkey(cert, key) != 1 || X509_sign(cert, key, md) <= 0) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int
cert_write(const struct state_files *sf, X509 *cert, char *err, size_t err_len)
{
	int r = pem_write(sf->dir, sf->cert, sf->cert_tmp, 0644, NULL, cert);

	if (r < 0)
		snprintf(err, err_len, "cannot write %s: %s", sf->cert, strerror(-r));
	return r;
}

/* A new key and certificate.  The old certificate goes first, so that a
 * crash between the two renames leaves a key without a certificate. */
static int
pair_generate(const struct state_files *sf, char *err, size_t err_len)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char why[256], host[256];
	int r;


	host_name(host, sizeof(host));
	if (keys_selfsigned(host, TLS_CERT_DAYS, &key, &cert) < 0) {
		snprintf(err, err_len, "cannot generate a certificate: %s",
		    tls_error_string(why, sizeof(why)));
		return -1;
	}
	if (unlink(sf->cert) < 0 && errno != ENOENT) {
		snprintf(err, err_len, "cannot remove %s: %s", sf->cert, strerror(errno));
		r = -1;
	} else if ((r = pem_write(sf->dir, sf->key, sf->key_tmp, 0600, key, NULL)) < 0) {
		snprintf(err, err_len, "cannot write %s: %s (is state_dir writable?)", sf->key,
		    strerror(-r));
	} else {
		r = cert_write(sf, cert, err, err_len);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return r < 0 ? -1 : 0;
}

static int
cert_reissue(const struct state_files *sf, EVP_PKEY *key, char *err, size_t err_len)
{
	char why[256];
	X509 *cert = cert_issue(key);

	if (cert == NULL) {
		snprintf(err, err_len, "cannot generate a certificate: %s",
		    tls_error_string(why, sizeof(why)));
		return -1;
	}
	int r = cert_write(sf, cert, err, err_len);
	X509_free(cert);
	return r < 0 ? -1 : 0;
}

/* Temporary files of a write that a crash interrupted. */
static void
tmp_remove(const struct state_files *sf)
{
	const char *tmp[] = { sf->key_tmp, sf->cert_tmp };

	for (size_t i = 0; i < 2; i++)
		if (unlink(tmp[i]) == 0)
			log_warnx("removed %s, left by an interrupted write", tmp[i]);
}

/* The key is unusable: a new pair, whatever the certificate holds. */
static int
pair_replace(const struct state_files *sf, int key_st, char *err, size_t err_len)
{
	if (key_st == PEM_CUT)
		log_warnx("%s is cut short (an interrupted write?): generating a new key and "
		    "certificate; the server fingerprint changes and clients that pinned the "
		    "old one must be told the new one", sf->key);
	else if (access(sf->cert, F_OK) == 0)
		log_warnx("%s has no private key %s: generating a new pair", sf->cert, sf->key);
	return pair_generate(sf, err, err_len);
}

/*
 * Makes state_dir's pair usable: generates what is missing and repairs
 * what an interrupted write left.  *generated tells whether a file was
 * written.
 */
static int
state_pair_ensure(const char *dir, bool *generated, char *err, size_t err_len)
{
	struct state_files sf;
	void *key = NULL, *cert = NULL;
	int r = 0;

	state_files_init(&sf, dir);
	tmp_remove(&sf);
	int key_st = pem_load(sf.key, true, &key, err, err_len);
	if (key_st < 0)
		return -1;
	if (key_st != PEM_OK) {
		*generated = true;
		return pair_replace(&sf, key_st, err, err_len);
	}
	int cert_st = pem_load(sf.cert, false, &cert, err, err_len);
	if (cert_st == PEM_MISSING || cert_st == PEM_CUT) {
		log_warnx("%s is %s: issuing a new certificate for the existing key %s (the "
		    "server fingerprint stays the same)", sf.cert,
		    cert_st == PEM_CUT ? "cut short (an interrupted write?)" : "missing", sf.key);
		*generated = true;
		r = cert_reissue(&sf, key, err, err_len);
	} else if (cert_st < 0) {
		r = -1;
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
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

	*generated = false;
	if (cfg->certificate[0] != '\0') {
		snprintf(cert_path, sizeof(cert_path), "%s", cfg->certificate);
		snprintf(key_path, sizeof(key_path), "%s", cfg->private_key);
	} else {
		snprintf(cert_path, sizeof(cert_path), "%s/%s", cfg->state_dir, TLS_CERT_FILE);
		snprintf(key_path, sizeof(key_path), "%s/%s", cfg->state_dir, TLS_KEY_FILE);
		if (state_pair_ensure(cfg->state_dir, generated, err, err_len) < 0)
			return NULL;
	}

	SSL_CTX *ctx = keys_server_ctx();
	if (ctx == NULL) {
		snprintf(err, err_len, "cannot create a TLS context: %s",
		    tls_error_string(why, sizeof(why)));
		return NULL;
	}
	/* A request's plaintext, password included, is wiped from OpenSSL's
	 * record buffer once SSL_read has copied it out. */
	SSL_CTX_set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT);
	if (load_pair(ctx, cert_path, key_path, fingerprint, err, err_len) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
