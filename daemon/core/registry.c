/*
 * registry.c: rooms and members (see registry.h).  Two hash tables
 * (lib/hash.h): rooms by name, under a keyed hash because peers choose the
 * names; members by token, which the server drew from a CSPRNG and so
 * needs only a cheap mix.
 */
#include "daemon/core/registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "lib/token.h"

#define INITIAL_BUCKETS	64

/* Addresses. */

int
peer_ip_parse(struct peer_ip *ip, const char *text)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1)
		peer_ip_from_sockaddr(ip, (const struct sockaddr *)&sin);
	else if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1)
		peer_ip_from_sockaddr(ip, (const struct sockaddr *)&sin6);
	else
		return -1;
	return 0;
}

void
peer_ip_from_sockaddr(struct peer_ip *ip, const struct sockaddr *sa)
{
	memset(ip, 0, sizeof(*ip));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
		ip->family = AF_INET;
		memcpy(ip->addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			ip->family = AF_INET;
			memcpy(ip->addr, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			ip->family = AF_INET6;
			memcpy(ip->addr, &sin6->sin6_addr, 16);
		}
	}
}

bool
peer_ip_equal(const struct peer_ip *a, const struct peer_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

const char *
peer_ip_str(const struct peer_ip *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family == AF_INET ? AF_INET : AF_INET6, ip->addr, buf,
	    (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* Hashing. */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

/* SipHash-2-4 (Aumasson and Bernstein), so that room names chosen by
 * peers cannot be made to collide without the per-process key. */
uint64_t
name_hash(const uint64_t key[2], const uint8_t *p, size_t len)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | p[i + (size_t)j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (int j = 0; i + (size_t)j < len; j++)
		b |= (uint64_t)p[i + (size_t)j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Tokens are 128 random bits in hex: fold two words and mix. */
static uint64_t
token_hash(const uint8_t *token)
{
	uint64_t a, b;
	memcpy(&a, token, 8);
	memcpy(&b, token + 8, 8);
	return (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL >> 16;
}

/* A room name's hash under the registry's secret key. */
static uint64_t
room_hash(const struct registry *reg, const uint8_t *name, size_t len)
{
	return name_hash(reg->hash_key, name, len);
}

/* Tables. */

struct registry *
registry_new(const struct registry_limits *limits)
{
	struct registry *reg = calloc(1, sizeof(*reg));
	if (reg == NULL)
		return NULL;
	reg->limits = *limits;
	/* hash_fini() of a table whose hash_init() failed frees NULL. */
	if (hash_init(&reg->rooms, INITIAL_BUCKETS) < 0 ||
	    hash_init(&reg->members, INITIAL_BUCKETS) < 0 ||
	    RAND_bytes((unsigned char *)reg->hash_key, sizeof(reg->hash_key)) != 1) {
		hash_fini(&reg->rooms);
		hash_fini(&reg->members);
		free(reg);
		return NULL;
	}
	return reg;
}

void
registry_set_limits(struct registry *reg, const struct registry_limits *limits)
{
	reg->limits = *limits;
}

struct room *
registry_find_room(const struct registry *reg, const uint8_t *name, size_t len)
{
	uint64_t h = room_hash(reg, name, len);

	for (struct hash_link *l = hash_find(&reg->rooms, h); l != NULL;
	    l = hash_find_next(l)) {
		struct room *r = hash_entry(l, struct room, name_link);
		if (r->name_len == len && memcmp(r->name, name, len) == 0)
			return r;
	}
	return NULL;
}

struct member *
registry_find_member(const struct registry *reg, const uint8_t *token)
{
	uint64_t h = token_hash(token);

	for (struct hash_link *l = hash_find(&reg->members, h); l != NULL;
	    l = hash_find_next(l)) {
		struct member *m = hash_entry(l, struct member, token_link);
		if (memcmp(m->token, token, OCM_TOKEN_LEN) == 0)
			return m;
	}
	return NULL;
}

struct member *
room_find_member(const struct room *room, const char *name)
{
	struct member *m;

	TAILQ_FOREACH(m, &room->members, room_link)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

struct room *
registry_first_room(const struct registry *reg)
{
	struct hash_link *l = hash_first(&reg->rooms);

	return l != NULL ? hash_entry(l, struct room, name_link) : NULL;
}

struct room *
registry_next_room(const struct registry *reg, const struct room *r)
{
	struct hash_link *l = hash_next(&reg->rooms, &r->name_link);

	return l != NULL ? hash_entry(l, struct room, name_link) : NULL;
}

/* Passwords. */

static int
password_digest(const uint8_t salt[16], const char *pw, size_t len, uint8_t out[32])
{
	unsigned int n = 32;
	return HMAC(EVP_sha256(), salt, 16, (const unsigned char *)pw, len, out, &n) ==
	    NULL ? -1 : 0;
}

static bool
password_matches(const struct room *room, const struct tcrp_request *req)
{
	uint8_t d[32];

	if (!room->has_password)
		return true;
	if (password_digest(room->salt, req->password, req->password_len, d) < 0)
		return false;
	bool ok = CRYPTO_memcmp(d, room->pw_digest, sizeof(d)) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

/* Members. */

/* The caller's token, or a fresh one.  A collision of 128 random bits is
 * not going to happen; checking costs one lookup and keeps the table's
 * invariant unconditional. */
static int
member_token(const struct registry *reg, const uint8_t *given, uint8_t *out)
{
	char token[OCM_TOKEN_LEN + 1];

	if (given != NULL) {
		if (registry_find_member(reg, given) != NULL)
			return -1;
		memcpy(out, given, OCM_TOKEN_LEN);
		return 0;
	}
	do {
		if (token_generate(token) < 0)
			return -1;
	} while (registry_find_member(reg, (const uint8_t *)token) != NULL);
	memcpy(out, token, OCM_TOKEN_LEN);
	return 0;
}

static struct member *
member_new(struct registry *reg, struct room *room, const struct tcrp_request *req,
    const struct peer_ip *ip, const uint8_t *token, uint64_t now_ms)
{
	struct member *m = calloc(1, sizeof(*m) + req->user_len + 1);

	if (m == NULL)
		return NULL;
	if (member_token(reg, token, m->token) < 0) {
		free(m);
		return NULL;
	}
	memcpy(m->name, req->user, req->user_len);
	m->name_len = req->user_len;
	m->ip = *ip;
	m->room = room;
	m->created_ms = m->last_seen_ms = m->bucket_ms = now_ms;
	m->id = ++reg->next_id;
	replay_init(&m->replay);

	TAILQ_INSERT_TAIL(&room->members, m, room_link);
	room->n_members++;

	hash_insert(&reg->members, &m->token_link, token_hash(m->token));
	if (++reg->n_members > reg->peak_members)
		reg->peak_members = reg->n_members;
	return m;
}

void
registry_member_keys(struct member *m, struct udp_keys *k)
{
	memcpy(m->key_rx, k->c2s, OCM_KEY_LEN);
	memcpy(m->key_tx, k->s2c, OCM_KEY_LEN);
	m->keyed = true;
	keys_wipe(k);
}

bool
registry_member_online(struct registry *reg, struct member *m)
{
	if (m->online)
		return false;
	m->online = true;
	m->room->n_online++;
	reg->n_online++;
	return true;
}

void
registry_member_free(struct registry *reg, struct member *m)
{
	struct room *room = m->room;

	hash_remove(&reg->members, &m->token_link);
	reg->n_members--;
	if (reg->shared_members != NULL)
		atomic_fetch_sub_explicit(reg->shared_members, 1, memory_order_relaxed);
	if (m->online) {
		room->n_online--;
		reg->n_online--;
	}
	TAILQ_REMOVE(&room->members, m, room_link);
	room->n_members--;
	if (room->host == m)
		room->host = NULL;
	/* Release: the main thread frees the count once it reads zero. */
	if (m->addr_members != NULL)
		atomic_fetch_sub_explicit(m->addr_members, 1, memory_order_release);
	free(m->cand);
	OPENSSL_cleanse(m, sizeof(*m) + m->name_len + 1);
	free(m);
}

/* Rooms. */

/*
 * Takes a place for one more member, or says why not.  With a daemon-wide
 * count (several registries, one per worker) the place is taken by an
 * atomic increment and given back if it went over, so that max_members
 * holds exactly however many workers admit at once.
 */
static enum tcrp_code
check_capacity(struct registry *reg, bool new_room, const char **why)
{
	if (new_room && reg->n_rooms >= reg->limits.max_rooms) {
		*why = "the server has as many rooms as it allows";
		return TCRP_CODE_SERVER_FULL;
	}
	size_t n = reg->shared_members == NULL ? reg->n_members :
	    atomic_fetch_add_explicit(reg->shared_members, 1, memory_order_relaxed);
	if (n >= reg->limits.max_members) {
		if (reg->shared_members != NULL)
			atomic_fetch_sub_explicit(reg->shared_members, 1, memory_order_relaxed);
		*why = "the server has as many members as it allows";
		return TCRP_CODE_SERVER_FULL;
	}
	return TCRP_CODE_OK;
}

/* Gives back the place check_capacity() took, when no member came of it. */
static void
capacity_release(struct registry *reg)
{
	if (reg->shared_members != NULL)
		atomic_fetch_sub_explicit(reg->shared_members, 1, memory_order_relaxed);
}

enum tcrp_code
registry_create(struct registry *reg, const struct tcrp_request *req,
    const struct peer_ip *ip, const uint8_t *token, uint64_t now_ms, struct member **out,
    const char **why)
{
	const uint8_t *name = (const uint8_t *)req->room;

	if (registry_find_room(reg, name, req->room_len) != NULL) {
		*why = "a room with that name exists";
		return TCRP_CODE_ROOM_EXISTS;
	}
	enum tcrp_code code = check_capacity(reg, true, why);
	if (code != TCRP_CODE_OK)
		return code;

	struct room *room = calloc(1, sizeof(*room));
	if (room == NULL) {
		capacity_release(reg);
		goto internal;
	}
	room->reg = reg;
	TAILQ_INIT(&room->members);
	memcpy(room->name, req->room, req->room_len);
	room->name_len = req->room_len;
	room->created_ms = now_ms;
	if (req->password_len > 0) {
		room->has_password = true;
		if (RAND_bytes(room->salt, sizeof(room->salt)) != 1 ||
		    password_digest(room->salt, req->password, req->password_len,
		    room->pw_digest) < 0) {
			free(room);
			capacity_release(reg);
			goto internal;
		}
	}
	hash_insert(&reg->rooms, &room->name_link, room_hash(reg, name, req->room_len));
	if (++reg->n_rooms > reg->peak_rooms)
		reg->peak_rooms = reg->n_rooms;

	struct member *m = member_new(reg, room, req, ip, token, now_ms);
	if (m == NULL) {
		capacity_release(reg);
		registry_room_free(reg, room);
		goto internal;
	}
	m->host = true;
	room->host = m;
	*out = m;
	return TCRP_CODE_OK;
internal:
	*why = "internal error";
	return TCRP_CODE_INTERNAL;
}

enum tcrp_code
registry_join(struct registry *reg, const struct tcrp_request *req,
    const struct peer_ip *ip, const uint8_t *token, uint64_t now_ms, struct member **out,
    const char **why)
{
	struct room *room = registry_find_room(reg, (const uint8_t *)req->room, req->room_len);

	if (room == NULL) {
		*why = "no room with that name";
		return TCRP_CODE_NO_SUCH_ROOM;
	}
	/* The password comes before the name check, so that a peer without
	 * it cannot probe who is in the room. */
	if (!password_matches(room, req)) {
		*why = "wrong password";
		return TCRP_CODE_BAD_PASSWORD;
	}
	if (room_find_member(room, req->user) != NULL) {
		*why = "that user name is taken in this room";
		return TCRP_CODE_NAME_TAKEN;
	}
	if (room->n_members >= reg->limits.max_members_per_room) {
		*why = "the room has as many members as it allows";
		return TCRP_CODE_ROOM_FULL;
	}
	enum tcrp_code code = check_capacity(reg, false, why);
	if (code != TCRP_CODE_OK)
		return code;
	struct member *m = member_new(reg, room, req, ip, token, now_ms);
	if (m == NULL) {
		capacity_release(reg);
		*why = "internal error";
		return TCRP_CODE_INTERNAL;
	}
	*out = m;
	return TCRP_CODE_OK;
}

void
registry_room_free(struct registry *reg, struct room *room)
{
	struct member *m;

	while ((m = TAILQ_FIRST(&room->members)) != NULL)
		registry_member_free(reg, m);
	hash_remove(&reg->rooms, &room->name_link);
	reg->n_rooms--;
	OPENSSL_cleanse(room, sizeof(*room));
	free(room);
}

void
registry_free(struct registry *reg)
{
	struct room *r, *next;

	if (reg == NULL)
		return;
	/* One walk: registry_first_room() each time would scan the emptied
	 * buckets again for every room, quadratic in the rooms. */
	for (r = registry_first_room(reg); r != NULL; r = next) {
		next = registry_next_room(reg, r);
		registry_room_free(reg, r);
	}
	hash_fini(&reg->rooms);
	hash_fini(&reg->members);
	free(reg);
}
