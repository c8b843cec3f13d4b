#ifndef MP_REDISURL_H
#define MP_REDISURL_H

/* A parsed redis://[:password@]host[:port][/db] URL. */
struct mp_redis_addr {
	char host[128];
	int port;
	char password[128];
	int db;
};

/* Parse `url`. 0, or -EINVAL when it is not a redis:// URL with a valid
 * port (1..65535) and database (0..15). The password is copied; callers
 * wipe the struct when done. */
int mp_redis_url_parse(const char *url, struct mp_redis_addr *out);

#endif
