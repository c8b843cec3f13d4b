/*
 * Token verification cost: how long mp_jwt_verify (what the gateway and
 * every service run on each request that carries a token) takes for an
 * RS256 (2048-bit) and an ES256 (P-256) access token of the usual size,
 * single-threaded, after a warm-up.
 *
 *   bench-jwt-verify <keys dir> [iterations]
 *
 * Prints one line per algorithm: "RS256 verify: <us> us/op (<ops>/s)",
 * then the cost of the same token answered by a worker's token cache
 * (mp_jwt_verify_cached, the path of every request after a token's first).
 * Built and run by scripts/bench-gateway.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mp/jwt.h"
#include "mp/principal.h"

static char *file_read(const char *path);
static double now_s(void);
static int bench(const char *dir, const char *alg, const char *kid, long iters);

static char *
file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL) {
		if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static double
now_s(void)
{
	struct timespec ts;

	/* CPU time of this thread, not the wall clock: on a loaded machine
	 * the figure stays the work done (openssl speed counts CPU time too) */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sign one token with dir/<kid>.key.pem, verify it `iters` times. */
static int
bench(const char *dir, const char *alg, const char *kid, long iters)
{
	struct mp_jwt_policy pol = {"https://auth.test", "mp-api", 5, 0, 0};
	struct mp_jwt_keyset *ks = NULL;
	struct mp_jwt_cache *cache = NULL;
	struct mp_principal p;
	char path[1024];
	char *pem = NULL, *tok = NULL;
	json_t *claims = NULL;
	int64_t now = (int64_t)time(NULL);
	double t0, dt;
	long i;
	int rc = -EINVAL;

	snprintf(path, sizeof(path), "%s/%s.key.pem", dir, kid);
	if ((pem = file_read(path)) == NULL)
		goto cleanup;
	claims =
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub",
	              "0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b", "iat",
	              (json_int_t)now, "exp", (json_int_t)now + 900, "roles",
	              "council_officer", "region", "souss-massa", "commune",
	              "agadir", "jti", "0190a3c4-5b6d-7e8f-9a0b-000000000001");
	if (claims == NULL ||
	    mp_jwt_sign(alg, kid, pem, strlen(pem), claims, &tok) != 0)
		goto cleanup;
	snprintf(path, sizeof(path), "%s/%s.pub.pem", dir, kid);
	if (mp_jwt_keyset_new(&ks) != 0 ||
	    mp_jwt_keyset_add_pem_file(ks, kid, alg, path) != 0)
		goto cleanup;
	for (i = 0; i < iters / 10 + 1; i++)
		if (mp_jwt_verify(ks, &pol, tok, strlen(tok), now, &p) != 0)
			goto cleanup;
	t0 = now_s();
	for (i = 0; i < iters; i++)
		if (mp_jwt_verify(ks, &pol, tok, strlen(tok), now, &p) != 0)
			goto cleanup;
	dt = now_s() - t0;
	printf("%s verify: %.1f us/op (%.0f/s, %ld ops, token %zu bytes)\n",
	       alg, dt * 1e6 / (double)iters, (double)iters / dt, iters,
	       strlen(tok));
	if (mp_jwt_cache_new(1024, &cache) != 0 ||
	    mp_jwt_verify_cached(cache, ks, &pol, tok, strlen(tok), now, &p) !=
	        0)
		goto cleanup;
	t0 = now_s();
	for (i = 0; i < iters * 10; i++)
		if (mp_jwt_verify_cached(cache, ks, &pol, tok, strlen(tok), now,
		                         &p) != 0)
			goto cleanup;
	dt = now_s() - t0;
	printf("%s token cache hit: %.2f us/op (%.0f/s, %ld ops)\n", alg,
	       dt * 1e6 / (double)(iters * 10), (double)(iters * 10) / dt,
	       iters * 10);
	rc = 0;
cleanup:
	if (rc != 0)
		fprintf(stderr, "%s: benchmark failed\n", alg);
	mp_jwt_cache_free(cache);
	mp_jwt_keyset_free(ks);
	json_decref(claims);
	free(tok);
	free(pem);
	return rc;
}

int
main(int argc, char **argv)
{
	long iters = argc > 2 ? atol(argv[2]) : 20000;

	if (argc < 2 || iters <= 0) {
		fprintf(stderr, "usage: %s <keys dir> [iterations]\n", argv[0]);
		return 2;
	}
	if (bench(argv[1], "RS256", "test-rs-1", iters) != 0 ||
	    bench(argv[1], "ES256", "test-es-1", iters) != 0)
		return 1;
	return 0;
}
