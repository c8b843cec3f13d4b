/*
 * openloop: an open-loop HTTP/1.1 load generator (a fixed request rate,
 * whatever the server does), for latency at a fixed rate.
 *
 * A closed-loop tool (wrk, hey -q) sends the next request of a connection
 * only once the previous answer is in: when the server stalls, the tool
 * stops sending and the stall is counted once instead of for every request
 * that should have been sent meanwhile ("coordinated omission"). Here
 * request i is due at start + i / rate; its latency runs from that
 * scheduled time to the last byte of its answer, so time spent waiting for
 * a free connection, in the socket or in the server all counts. When every
 * connection is busy a new one is opened (up to -c), beyond that requests
 * queue in order, still timed from when they were due.
 *
 * Connections: -k are opened before the start (default 16, as a client's
 * pool would be), more on demand up to -c. The first -w seconds (default
 * 1) are sent but not counted: a warm-up.
 *
 * Usage: openloop -r RATE -d SECONDS [-c MAXCONN] [-k CONNS] [-w WARMUP]
 *            [-m METHOD]
 *            [-H 'Name: value']... [-b BODYFILE] [-p PATHFILE] [-s STATUS]
 *            http://HOST:PORT/PATH
 *   -p: paths (one a line) used in turn instead of the URL's path
 *   -s: the expected status (default: any 2xx or 304); others are errors
 * Requests still unanswered 10 s after the last was due count in the
 * percentiles with the time they had waited (a lower bound).
 * Prints one line of figures (milliseconds), e.g.
 *   rate 500.0 due 5000 ok 5000 errors 0 unanswered 0 p50 0.410 p90 0.620
 *   p99 1.900 p99.9 4.200 max 6.020 achieved 499.9 conns 3
 * Exit status 0, or 1 on a usage or connection error.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 16
#define RBUF (256 * 1024)

struct conn {
	int fd;
	int busy;        /* a request is on the wire */
	uint64_t due_ns; /* scheduled time of that request */
	char *rbuf;
	size_t rlen;
	const char *wptr; /* what remains to write */
	size_t wleft;
	char *req; /* this connection's copy of the request being sent */
	size_t reqlen;
};

static struct {
	const char *host, *port, *path, *method;
	const char *headers[MAX_HEADERS];
	int nheaders;
	char *body;
	size_t bodylen;
	char **paths;
	size_t npaths, next_path;
	double rate, seconds, warmup;
	int maxconn, initconn, want_status;
	struct sockaddr_storage addr;
	socklen_t addrlen;
} opt;

static struct conn *conns;
static int nconns, epfd;
static uint64_t *lat;         /* latencies in ns, one per answered request */
static uint64_t measure_from; /* requests due earlier are the warm-up */
static size_t nlat, nerr, nsent;
static uint64_t *pending; /* due times of requests waiting for a connection */
static size_t pend_head, pend_tail, pend_cap;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: openloop -r RATE -d SECONDS [-c MAXCONN] "
	        "[-m METHOD] [-H 'Name: value']... [-b BODYFILE] [-p PATHFILE] "
	        "[-s STATUS] http://HOST:PORT/PATH\n");
	exit(1);
}

static char *
slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "openloop: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "openloop: cannot read %s\n", file);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
load_paths(const char *file)
{
	size_t len, cap = 0;
	char *text = slurp(file, &len), *line, *save = NULL;

	for (line = strtok_r(text, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save)) {
		if (*line == '\0')
			continue;
		if (opt.npaths == cap) {
			cap = cap ? cap * 2 : 64;
			opt.paths = realloc(opt.paths, cap * sizeof(char *));
			if (opt.paths == NULL)
				exit(1);
		}
		opt.paths[opt.npaths++] = line;
	}
	if (opt.npaths == 0) {
		fprintf(stderr, "openloop: no path in %s\n", file);
		exit(1);
	}
}

static void
parse_url(char *url)
{
	char *p, *slash, *colon;
	struct addrinfo hints, *res;

	if (strncmp(url, "http://", 7) != 0)
		usage();
	p = url + 7;
	slash = strchr(p, '/');
	opt.path = slash != NULL ? strdup(slash) : "/";
	if (slash != NULL)
		*slash = '\0';
	colon = strrchr(p, ':');
	if (colon != NULL) {
		*colon = '\0';
		opt.port = colon + 1;
	} else {
		opt.port = "80";
	}
	opt.host = p;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(opt.host, opt.port, &hints, &res) != 0 || res == NULL) {
		fprintf(stderr, "openloop: cannot resolve %s\n", opt.host);
		exit(1);
	}
	memcpy(&opt.addr, res->ai_addr, res->ai_addrlen);
	opt.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Build the next request into c->req (paths taken in turn). */
static void
build_request(struct conn *c)
{
	const char *path =
	    opt.npaths ? opt.paths[opt.next_path++ % opt.npaths] : opt.path;
	size_t cap = 512 + strlen(path) + opt.bodylen;
	int i, n;

	for (i = 0; i < opt.nheaders; i++)
		cap += strlen(opt.headers[i]) + 2;
	free(c->req);
	if ((c->req = malloc(cap)) == NULL)
		exit(1);
	n = snprintf(c->req, cap, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n",
	             opt.method, path, opt.host, opt.port);
	for (i = 0; i < opt.nheaders; i++)
		n += snprintf(c->req + n, cap - (size_t)n, "%s\r\n",
		              opt.headers[i]);
	if (opt.body != NULL)
		n += snprintf(c->req + n, cap - (size_t)n,
		              "Content-Length: %zu\r\n", opt.bodylen);
	n += snprintf(c->req + n, cap - (size_t)n, "\r\n");
	if (opt.body != NULL) {
		memcpy(c->req + n, opt.body, opt.bodylen);
		n += (int)opt.bodylen;
	}
	c->reqlen = (size_t)n;
}

static int
conn_open(void)
{
	struct conn *c;
	struct epoll_event ev;
	int fd, one = 1;

	if (nconns >= opt.maxconn)
		return -1;
	fd = socket(opt.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&opt.addr, opt.addrlen) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	c = &conns[nconns];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	if ((c->rbuf = malloc(RBUF)) == NULL)
		exit(1);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u32 = (uint32_t)nconns;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		exit(1);
	return nconns++;
}

/* Reopen connection i after the server closed it (Connection: close,
 * keep-alive limit): same slot, new socket. */
static void
conn_reopen(int i)
{
	struct conn *c = &conns[i];
	struct epoll_event ev;
	int fd, one = 1;

	close(c->fd);
	fd = socket(opt.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		exit(1);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&opt.addr, opt.addrlen) != 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "openloop: connect: %s\n", strerror(errno));
		exit(1);
	}
	c->fd = fd;
	c->rlen = 0;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u32 = (uint32_t)i;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		exit(1);
}

static void
conn_write(struct conn *c)
{
	ssize_t n;

	while (c->wleft > 0) {
		n = write(c->fd, c->wptr, c->wleft);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			return; /* the read side sees the error */
		}
		c->wptr += n;
		c->wleft -= (size_t)n;
	}
}

static void
conn_send(int i, uint64_t due)
{
	struct conn *c = &conns[i];

	c->busy = 1;
	c->due_ns = due;
	c->rlen = 0;
	build_request(c);
	c->wptr = c->req;
	c->wleft = c->reqlen;
	nsent++;
	conn_write(c);
}

static void
pend_push(uint64_t due)
{
	if (pend_tail - pend_head == pend_cap) {
		size_t ncap = pend_cap ? pend_cap * 2 : 1024, k;
		uint64_t *np = malloc(ncap * sizeof(*np));

		if (np == NULL)
			exit(1);
		for (k = 0; k < pend_tail - pend_head; k++)
			np[k] = pending[(pend_head + k) % pend_cap];
		free(pending);
		pending = np;
		pend_tail -= pend_head;
		pend_head = 0;
		pend_cap = ncap;
	}
	pending[pend_tail++ % pend_cap] = due;
}

/* A request is due: an idle connection, a new one, or the queue. */
static void
dispatch(uint64_t due)
{
	int i;

	for (i = 0; i < nconns; i++)
		if (!conns[i].busy) {
			conn_send(i, due);
			return;
		}
	if ((i = conn_open()) >= 0) {
		conn_send(i, due);
		return;
	}
	pend_push(due);
}

/* Length of a complete answer in c->rbuf, 0 while incomplete, -1 if it
 * cannot be parsed (chunked answers are not supported). */
static long
answer_len(struct conn *c, int *status)
{
	char *end, *h;
	long clen = -1;
	size_t hlen;

	c->rbuf[c->rlen] = '\0';
	if ((end = strstr(c->rbuf, "\r\n\r\n")) == NULL)
		return c->rlen >= RBUF - 1 ? -1 : 0;
	hlen = (size_t)(end - c->rbuf) + 4;
	if (sscanf(c->rbuf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	for (h = strstr(c->rbuf, "\r\n"); h != NULL && h < end;
	     h = strstr(h + 2, "\r\n")) {
		if (strncasecmp(h + 2, "content-length:", 15) == 0)
			clen = strtol(h + 17, NULL, 10);
		else if (strncasecmp(h + 2, "transfer-encoding:", 18) == 0)
			return -1;
	}
	if (clen < 0)
		clen = (*status == 204 || *status == 304) ? 0 : -1;
	if (clen < 0 || hlen + (size_t)clen >= RBUF)
		return -1;
	return c->rlen >= hlen + (size_t)clen ? (long)(hlen + (size_t)clen) : 0;
}

static void
conn_read(int i, uint64_t now)
{
	struct conn *c = &conns[i];
	ssize_t n;
	long len;
	int status = 0, ok;

	for (;;) {
		n = read(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen);
		if (n < 0 && errno == ECONNREFUSED) {
			fprintf(stderr,
			        "openloop: %s:%s: connection "
			        "refused\n",
			        opt.host, opt.port);
			exit(1);
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			/* closed: an error for the request on the wire */
			if (c->busy) {
				if (c->due_ns >= measure_from)
					nerr++;
				c->busy = 0;
			}
			conn_reopen(i);
			return;
		}
		if (n < 0)
			break;
		c->rlen += (size_t)n;
		if (!c->busy)
			continue;
		len = answer_len(c, &status);
		if (len < 0) {
			fprintf(stderr,
			        "openloop: cannot parse an answer "
			        "(chunked or larger than %d bytes)\n",
			        RBUF);
			exit(1);
		}
		if (len == 0)
			continue;
		ok = opt.want_status
		         ? status == opt.want_status
		         : ((status >= 200 && status < 300) || status == 304);
		if (c->due_ns < measure_from)
			; /* warm-up */
		else if (ok)
			lat[nlat++] = now - c->due_ns;
		else
			nerr++;
		c->busy = 0;
		memmove(c->rbuf, c->rbuf + len, c->rlen - (size_t)len);
		c->rlen -= (size_t)len;
		if (pend_head != pend_tail)
			conn_send(i, pending[pend_head++ % pend_cap]);
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t k;

	if (nlat == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)nlat + 0.5);
	if (k < 1)
		k = 1;
	if (k > nlat)
		k = nlat;
	return (double)lat[k - 1] / 1e6;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct timespec ts;
	uint64_t start, end, next, now, total, i = 0, drain_end;
	size_t unanswered, ndue = 0;
	int ch, n, k;

	signal(SIGPIPE, SIG_IGN);
	opt.method = "GET";
	opt.maxconn = 256;
	opt.initconn = 16;
	opt.warmup = 1;
	while ((ch = getopt(argc, argv, "r:d:c:k:w:m:H:b:p:s:")) != -1) {
		switch (ch) {
		case 'r':
			opt.rate = strtod(optarg, NULL);
			break;
		case 'd':
			opt.seconds = strtod(optarg, NULL);
			break;
		case 'c':
			opt.maxconn = atoi(optarg);
			break;
		case 'k':
			opt.initconn = atoi(optarg);
			break;
		case 'w':
			opt.warmup = strtod(optarg, NULL);
			break;
		case 'm':
			opt.method = optarg;
			break;
		case 'H':
			if (opt.nheaders == MAX_HEADERS)
				usage();
			opt.headers[opt.nheaders++] = optarg;
			break;
		case 'b':
			opt.body = slurp(optarg, &opt.bodylen);
			break;
		case 'p':
			load_paths(optarg);
			break;
		case 's':
			opt.want_status = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || opt.rate <= 0 || opt.seconds <= 0 ||
	    opt.maxconn < 1)
		usage();
	parse_url(argv[optind]);
	total = (uint64_t)(opt.rate * (opt.warmup + opt.seconds));
	if ((lat = malloc((total + 1) * sizeof(*lat))) == NULL ||
	    (conns = calloc((size_t)opt.maxconn, sizeof(*conns))) == NULL ||
	    (epfd = epoll_create1(0)) < 0)
		return 1;
	for (k = 0; k < (opt.initconn < 1 ? 1 : opt.initconn); k++)
		if (conn_open() < 0) {
			fprintf(stderr, "openloop: cannot connect\n");
			return 1;
		}

	start = now_ns() + 50000000u; /* 50 ms for the connections */
	measure_from = start + (uint64_t)(opt.warmup * 1e9);
	end = measure_from + (uint64_t)(opt.seconds * 1e9);
	drain_end = end + 10000000000u; /* answers still due: 10 s at most */
	for (;;) {
		now = now_ns();
		while (i < total) {
			next = start + (uint64_t)((double)i * 1e9 / opt.rate);
			if (next > now)
				break;
			dispatch(next);
			if (next >= measure_from)
				ndue++;
			i++;
		}
		if (i >= total && nlat + nerr >= nsent &&
		    pend_head == pend_tail)
			break;
		if (now > drain_end)
			break;
		if (i < total) {
			next = start + (uint64_t)((double)i * 1e9 / opt.rate);
			ts.tv_sec = (time_t)((next - now) / 1000000000u);
			ts.tv_nsec = (long)((next - now) % 1000000000u);
		} else {
			ts.tv_sec = 0;
			ts.tv_nsec = 10000000;
		}
		n = epoll_pwait2(epfd, evs, 256, &ts, NULL);
		now = now_ns();
		for (k = 0; k < n; k++) {
			struct conn *c = &conns[evs[k].data.u32];

			if (evs[k].events & EPOLLOUT)
				conn_write(c);
			if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read((int)evs[k].data.u32, now);
		}
	}
	/* what is still unanswered counts with the time it has waited so
	 * far (a lower bound), not as if it had never been sent */
	now = now_ns();
	unanswered = 0;
	for (k = 0; k < nconns; k++)
		if (conns[k].busy && conns[k].due_ns >= measure_from) {
			lat[nlat++] = now - conns[k].due_ns;
			unanswered++;
		}
	for (; pend_head != pend_tail; pend_head++) {
		if (pending[pend_head % pend_cap] < measure_from)
			continue;
		lat[nlat++] = now - pending[pend_head % pend_cap];
		unanswered++;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("rate %.1f due %zu ok %zu errors %zu unanswered %zu p50 %.3f "
	       "p90 %.3f p99 %.3f p99.9 %.3f max %.3f achieved %.1f conns %d\n",
	       opt.rate, ndue, nlat - unanswered, nerr, unanswered, pct(50),
	       pct(90), pct(99), pct(99.9), pct(100),
	       (double)(nlat - unanswered) / opt.seconds, nconns);
	return 0;
}
