/*
 * mqtt-million: an MQTT 3.1.1 connection load generator cheap enough not to be the limit
 * (issue 12). One thread, one epoll loop, 32 bytes of state per connection (`struct conn`)
 * plus the kernel's socket; source addresses are spread over 127.0.0.2 and up with
 * IP_BIND_ADDRESS_NO_PORT, so each source address has its own ephemeral port range.
 *
 * What it does: opens --connections N connections at --rate per second (at most --pending-max
 * waiting for CONNACK), sends CONNECT (client ID PREFIX + index, --clean 0|1, --keepalive),
 * waits for CONNACK, then every --ping-interval seconds sends PINGREQ and counts PINGRESP. The
 * first --workload-fraction of the connections run a 1:1 QoS 1 workload in pairs: the even one
 * subscribes (QoS 1) to "million/PREFIX<index>", the odd one publishes a 16-byte payload
 * (send time, sequence) there every --message-interval-ms, one message in flight at a time;
 * the subscriber acknowledges and records publish-to-delivery latency. --silent K connections
 * (taken from the end) never ping, to show the broker's keep-alive enforcement. --will 1 gives
 * every client a QoS 0 will on "million/will/CLIENT_ID"; --count-wills 1 has the first workload
 * subscriber count the wills it receives on "million/will/#" ("wills_received", since start).
 *
 * Output (stdout), one JSON object a line:
 *   {"event":"ramped",...}    once every connection has its CONNACK or has failed;
 *   {"event":"snapshot",...}  on SIGUSR1: pings and the workload since the last snapshot (the
 *                             window), after waiting up to 3 s for the pongs and acks in flight;
 *   {"event":"final",...}     on SIGTERM/SIGINT or after --duration seconds, then it exits 0.
 * Counts of connections and errors are since start; pings, pongs and workload figures are per
 * window. Latencies use log-linear buckets (64 per power of two: at most 1.6 % high), printed as
 * [[bucket, count], ...] too (connect_buckets, delivery_buckets: microseconds) for merging.
 *
 * Build: cc -O2 -o mqtt-million mqtt-million.c   (Tools/million/run.sh does it.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { ST_IDLE, ST_CONNECTING, ST_WAIT_CONNACK, ST_UP, ST_DONE };
enum { F_PING_OUT = 1, F_SILENT = 2, F_SUBSCRIBED = 4, F_EVER_UP = 8 };

/* Per connection: 32 bytes. */
struct conn {
    int32_t fd;
    uint8_t state;
    uint8_t flags;
    uint8_t carry_length;
    uint8_t unused;
    uint64_t started_ns; /* connect() call, for connect -> CONNACK latency */
    uint8_t carry[16];   /* an incomplete packet between reads (idle traffic is <= 5 bytes) */
};

/* Per workload connection (publisher or subscriber), beside the connection array. */
struct workload {
    uint64_t sequence;
    uint64_t sent_ns;
    uint64_t next_ns;
    uint16_t packet_id;
    uint8_t awaiting_ack;
    uint16_t carry_length;
    uint8_t carry[256];
};

#define BUCKETS 4096
struct histogram {
    uint64_t counts[BUCKETS];
    uint64_t total;
    uint64_t max;
};

static int bucket_of(uint64_t v) {
    if (v < 128) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;
    int index = (shift + 1) * 64 + (int)((v >> shift) - 64);
    return index < BUCKETS ? index : BUCKETS - 1;
}

static uint64_t bucket_high(int index) {
    if (index < 128) return (uint64_t)index;
    int shift = index / 64 - 1;
    uint64_t sub = (uint64_t)(index % 64) + 64;
    return ((sub + 1) << shift) - 1;
}

static void record(struct histogram *h, uint64_t value) {
    h->counts[bucket_of(value)]++;
    h->total++;
    if (value > h->max) h->max = value;
}

/* The value (same unit as recorded) at quantile q, as the bucket's upper bound (never low). */
static double quantile(const struct histogram *h, double q) {
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->total);
    if (rank >= h->total) rank = h->total - 1;
    uint64_t seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
        seen += h->counts[i];
        if (seen > rank) {
            uint64_t high = bucket_high(i);
            return (double)(high < h->max ? high : h->max);
        }
    }
    return (double)h->max;
}

/* Options. */
static const char *opt_host = "127.0.0.1";
static int opt_port = 1883;
static long opt_connections = 1000;
static double opt_rate = 5000;
static long opt_pending_max = 10000;
static int opt_sources = 20;
static const char *opt_first_source = "127.0.0.2";
static int opt_keepalive = 60;
static double opt_ping_interval = 30;
static int opt_clean = 1;
static const char *opt_prefix = "mm-";
static double opt_workload_fraction = 0;
static long opt_message_interval_ms = 1000;
static long opt_silent = 0;
static double opt_duration = 0;
static double opt_connect_timeout = 30;
static int opt_sockbuf = 4096;
static int opt_will = 0;
static int opt_count_wills = 0;

/* State. */
static struct conn *conns;
static struct workload *workloads;
static long workload_count;
static int epoll_fd;
static uint64_t start_ns;
static uint64_t ramped_ns;
static long next_to_open;
static long pending;
static long connected_now;
static long connacks;
static long session_present;
static long finished_failures;
static int ramp_reported;

static uint64_t connack_codes[6];
static uint64_t connect_errors[256];  /* errno before CONNACK; slot 0: EOF, 255: timeout */
static uint64_t drop_errors[256];     /* errno after CONNACK; slot 0: EOF */
static uint64_t protocol_errors;
static uint64_t silent_closed;
static uint64_t other_closed_after_up;

static uint64_t pings_sent, pongs_received, pings_skipped, unexpected_pongs;
static uint64_t published, acked, delivered, duplicates, subscribe_refused;
static uint64_t wills_received; /* since start, on "million/will/#" (--count-wills 1) */
static struct histogram connect_latency_us;
static struct histogram delivery_latency_us;
static struct histogram ack_latency_us;
static uint64_t window_start_ns;

static volatile sig_atomic_t snapshot_requested;
static volatile sig_atomic_t stop_requested;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void on_signal(int signal_number) {
    if (signal_number == SIGUSR1) snapshot_requested = 1;
    else stop_requested = 1;
}

static void usage(const char *message) {
    fprintf(stderr,
            "mqtt-million: %s\n"
            "usage: mqtt-million [--host H] [--port P] [--connections N] [--rate PER_S] [--pending-max N]\n"
            "  [--sources K] [--first-source A.B.C.D] [--keepalive S] [--ping-interval S] [--clean 0|1]\n"
            "  [--prefix ID_PREFIX] [--workload-fraction F] [--message-interval-ms MS] [--silent K]\n"
            "  [--duration S] [--connect-timeout S] [--sockbuf BYTES] [--will 0|1] [--count-wills 0|1]\n",
            message);
    exit(2);
}

static double number(const char *name, const char *text, double low, double high) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || *end || end == text || value < low || value > high) {
        char message[200];
        snprintf(message, sizeof message, "%s %s is not a number in %g...%g", name, text, low, high);
        usage(message);
    }
    return value;
}

static void parse(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (i + 1 >= argc) usage("every option takes a value");
        const char *value = argv[++i];
        if (!strcmp(name, "--host")) opt_host = value;
        else if (!strcmp(name, "--port")) opt_port = (int)number(name, value, 1, 65535);
        else if (!strcmp(name, "--connections")) opt_connections = (long)number(name, value, 1, 16000000);
        else if (!strcmp(name, "--rate")) opt_rate = number(name, value, 1, 10000000);
        else if (!strcmp(name, "--pending-max")) opt_pending_max = (long)number(name, value, 1, 1000000);
        else if (!strcmp(name, "--sources")) opt_sources = (int)number(name, value, 1, 60000);
        else if (!strcmp(name, "--first-source")) opt_first_source = value;
        else if (!strcmp(name, "--keepalive")) opt_keepalive = (int)number(name, value, 0, 65535);
        else if (!strcmp(name, "--ping-interval")) opt_ping_interval = number(name, value, 0.1, 86400);
        else if (!strcmp(name, "--clean")) opt_clean = (int)number(name, value, 0, 1);
        else if (!strcmp(name, "--prefix")) opt_prefix = value;
        else if (!strcmp(name, "--workload-fraction")) opt_workload_fraction = number(name, value, 0, 1);
        else if (!strcmp(name, "--message-interval-ms")) opt_message_interval_ms = (long)number(name, value, 1, 3600000);
        else if (!strcmp(name, "--silent")) opt_silent = (long)number(name, value, 0, 16000000);
        else if (!strcmp(name, "--duration")) opt_duration = number(name, value, 0, 864000);
        else if (!strcmp(name, "--connect-timeout")) opt_connect_timeout = number(name, value, 0.1, 3600);
        else if (!strcmp(name, "--sockbuf")) opt_sockbuf = (int)number(name, value, 0, 1 << 24);
        else if (!strcmp(name, "--will")) opt_will = (int)number(name, value, 0, 1);
        else if (!strcmp(name, "--count-wills")) opt_count_wills = (int)number(name, value, 0, 1);
        else usage("unknown option");
    }
    if (strlen(opt_prefix) > 40) usage("--prefix is longer than 40 bytes");
    if (opt_silent > opt_connections) usage("--silent is above --connections");
}

static const char *errno_name(int number) {
    const char *name = strerrorname_np(number);
    return name ? name : "E?";
}

/* Sends a whole small packet or fails (a short write of a few bytes means the socket is stuck). */
static int send_all(struct conn *c, const uint8_t *bytes, size_t length) {
    ssize_t sent = send(c->fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == (ssize_t)length) return 0;
    return sent < 0 ? errno : EAGAIN;
}

/* Closes a connection and counts why: error is an errno, 0 for EOF, 255 for a CONNACK timeout. */
static void close_conn(long index, int error) {
    struct conn *c = &conns[index];
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (c->state == ST_CONNECTING || c->state == ST_WAIT_CONNACK) {
        pending--;
        finished_failures++;
        connect_errors[error & 255]++;
    } else if (c->state == ST_UP) {
        connected_now--;
        drop_errors[error & 255]++;
        if (c->flags & F_SILENT) silent_closed++;
        else other_closed_after_up++;
    }
    c->state = ST_DONE;
}

static size_t put_string(uint8_t *out, const char *text, size_t length) {
    out[0] = (uint8_t)(length >> 8);
    out[1] = (uint8_t)length;
    memcpy(out + 2, text, length);
    return length + 2;
}

static size_t client_id(long index, char *out) {
    return (size_t)sprintf(out, "%s%ld", opt_prefix, index);
}

static size_t topic_of(long subscriber, char *out) {
    return (size_t)sprintf(out, "million/%s%ld", opt_prefix, subscriber);
}

/* A fixed header: the type byte and the remaining length (at most 2 bytes here: bodies < 16,384). */
static size_t put_header(uint8_t *out, uint8_t type, size_t body) {
    out[0] = type;
    if (body < 128) { out[1] = (uint8_t)body; return 2; }
    out[1] = (uint8_t)(body % 128) | 128;
    out[2] = (uint8_t)(body / 128);
    return 3;
}

/* CONNECT; with --will 1 a QoS 0 will "gone" on "million/will/CLIENT_ID". */
static int send_connect(long index) {
    char id[64], will_topic[96];
    size_t id_length = client_id(index, id);
    size_t will_length = opt_will ? (size_t)sprintf(will_topic, "million/will/%s", id) : 0;
    uint8_t body[256];
    size_t n = 0;
    n += put_string(body + n, "MQTT", 4);
    body[n++] = 4;                                                        /* protocol level 3.1.1 */
    body[n++] = (uint8_t)((opt_clean ? 0x02 : 0x00) | (opt_will ? 0x04 : 0x00)); /* clean session, will */
    body[n++] = (uint8_t)(opt_keepalive >> 8);
    body[n++] = (uint8_t)opt_keepalive;
    n += put_string(body + n, id, id_length);
    if (opt_will) {
        n += put_string(body + n, will_topic, will_length);
        n += put_string(body + n, "gone", 4);
    }
    uint8_t packet[260];
    size_t header = put_header(packet, 0x10, n);
    memcpy(packet + header, body, n);
    return send_all(&conns[index], packet, header + n);
}

static int is_workload(long index) { return index < workload_count; }
static int is_subscriber(long index) { return is_workload(index) && index % 2 == 0; }

static int send_subscribe(long index, const char *filter, size_t filter_length, uint8_t packet_id, uint8_t qos) {
    uint8_t packet[128];
    size_t n = 0;
    packet[n++] = 0x82;
    packet[n++] = (uint8_t)(2 + 2 + filter_length + 1);
    packet[n++] = 0;
    packet[n++] = packet_id;
    n += put_string(packet + n, filter, filter_length);
    packet[n++] = qos;
    return send_all(&conns[index], packet, n);
}

static void put64(uint8_t *out, uint64_t value) {
    for (int i = 7; i >= 0; i--) { out[i] = (uint8_t)value; value >>= 8; }
}

static uint64_t get64(const uint8_t *in) {
    uint64_t value = 0;
    for (int i = 0; i < 8; i++) value = (value << 8) | in[i];
    return value;
}

static int send_publish(long index, uint64_t now) {
    struct workload *w = &workloads[index];
    char topic[80];
    size_t topic_length = topic_of(index - 1, topic);
    uint8_t packet[160];
    size_t n = 0;
    w->packet_id = (uint16_t)(w->packet_id % 65535 + 1);
    w->sequence++;
    packet[n++] = 0x32; /* PUBLISH QoS 1 */
    packet[n++] = (uint8_t)(2 + topic_length + 2 + 16);
    n += put_string(packet + n, topic, topic_length);
    packet[n++] = (uint8_t)(w->packet_id >> 8);
    packet[n++] = (uint8_t)w->packet_id;
    put64(packet + n, now);
    put64(packet + n + 8, w->sequence);
    n += 16;
    int error = send_all(&conns[index], packet, n);
    if (!error) {
        w->sent_ns = now;
        w->awaiting_ack = 1;
        published++;
    }
    return error;
}

static void open_next(uint64_t now) {
    long index = next_to_open++;
    struct conn *c = &conns[index];
    c->started_ns = now;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        connect_errors[errno & 255]++;
        finished_failures++;
        c->state = ST_DONE;
        return;
    }
    c->fd = fd;
    c->state = ST_CONNECTING;
    pending++;
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt_sockbuf > 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt_sockbuf, sizeof opt_sockbuf);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opt_sockbuf, sizeof opt_sockbuf);
    }
    struct sockaddr_in source = {.sin_family = AF_INET};
    inet_pton(AF_INET, opt_first_source, &source.sin_addr);
    source.sin_addr.s_addr = htonl(ntohl(source.sin_addr.s_addr) + (uint32_t)(index % opt_sources));
    if (bind(fd, (struct sockaddr *)&source, sizeof source) < 0) {
        close_conn(index, errno);
        return;
    }
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port)};
    inet_pton(AF_INET, opt_host, &server.sin_addr);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) {
        close_conn(index, errno);
        return;
    }
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)index};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) close_conn(index, errno);
}

static void on_connected(long index) {
    struct conn *c = &conns[index];
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error) { close_conn(index, error); return; }
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = (uint64_t)index};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
    c->state = ST_WAIT_CONNACK;
    error = send_connect(index);
    if (error) close_conn(index, error);
}

static void on_connack(long index, const uint8_t *packet, uint64_t now) {
    struct conn *c = &conns[index];
    uint8_t code = packet[3];
    if (c->state != ST_WAIT_CONNACK || code > 5) { protocol_errors++; close_conn(index, EPROTO); return; }
    if (code != 0) {
        connack_codes[code]++;
        c->state = ST_DONE;
        pending--;
        finished_failures++;
        close(c->fd);
        c->fd = -1;
        return;
    }
    connack_codes[0]++;
    connacks++;
    if (packet[2] & 1) session_present++;
    pending--;
    connected_now++;
    c->state = ST_UP;
    c->flags |= F_EVER_UP;
    record(&connect_latency_us, (now - c->started_ns) / 1000);
    if (is_subscriber(index)) {
        char topic[80];
        size_t topic_length = topic_of(index, topic);
        int error = send_subscribe(index, topic, topic_length, 1, 1);
        if (!error && index == 0 && opt_count_wills) error = send_subscribe(index, "million/will/#", 14, 2, 0);
        if (error) close_conn(index, error);
    }
}

static void on_publish_received(long index, const uint8_t *packet, size_t length, size_t header, uint64_t now) {
    size_t at = header;
    if (length < at + 2) { protocol_errors++; return; }
    size_t topic_length = ((size_t)packet[at] << 8) | packet[at + 1];
    if (topic_length >= 13 && length >= at + 2 + 13 && !memcmp(packet + at + 2, "million/will/", 13)) {
        wills_received++;
        if (!((packet[0] >> 1) & 3)) return;
    }
    at += 2 + topic_length;
    int qos = (packet[0] >> 1) & 3;
    uint16_t packet_id = 0;
    if (qos > 0) {
        packet_id = (uint16_t)((packet[at] << 8) | packet[at + 1]);
        at += 2;
    }
    if (length >= at + 16) {
        uint64_t sent = get64(packet + at);
        uint64_t sequence = get64(packet + at + 8);
        struct workload *w = &workloads[index];
        if (sequence <= w->sequence) duplicates++;
        else {
            w->sequence = sequence;
            delivered++;
            record(&delivery_latency_us, now > sent ? (now - sent) / 1000 : 0);
        }
    }
    if (qos == 1) {
        uint8_t ack[4] = {0x40, 2, (uint8_t)(packet_id >> 8), (uint8_t)packet_id};
        int error = send_all(&conns[index], ack, 4);
        if (error) close_conn(index, error);
    }
}

/* Handles one whole packet; returns 0, or -1 when the connection was closed. */
static int on_packet(long index, const uint8_t *packet, size_t length, size_t header, uint64_t now) {
    struct conn *c = &conns[index];
    uint8_t type = packet[0] >> 4;
    if (type == 2 && length == 4) {
        on_connack(index, packet, now);
    } else if (c->state != ST_UP) {
        protocol_errors++;
        close_conn(index, EPROTO);
    } else if (type == 13 && length == 2) {
        if (c->flags & F_PING_OUT) { c->flags &= (uint8_t)~F_PING_OUT; pongs_received++; }
        else unexpected_pongs++;
    } else if (type == 9 && length == 5) {
        if (packet[4] == 0x80) subscribe_refused++;
        else c->flags |= F_SUBSCRIBED;
    } else if (type == 4 && length == 4 && is_workload(index)) {
        struct workload *w = &workloads[index];
        uint16_t packet_id = (uint16_t)((packet[2] << 8) | packet[3]);
        if (w->awaiting_ack && packet_id == w->packet_id) {
            w->awaiting_ack = 0;
            acked++;
            record(&ack_latency_us, (now - w->sent_ns) / 1000);
        }
    } else if (type == 3 && is_subscriber(index)) {
        on_publish_received(index, packet, length, header, now);
    } else {
        protocol_errors++;
        close_conn(index, EPROTO);
    }
    return c->state == ST_DONE ? -1 : 0;
}

static void on_readable(long index, uint64_t now) {
    static uint8_t buffer[65536 + 256];
    struct conn *c = &conns[index];
    uint8_t *carry = is_workload(index) ? workloads[index].carry : c->carry;
    size_t carry_max = is_workload(index) ? sizeof workloads[index].carry : sizeof c->carry;
    size_t carried = is_workload(index) ? workloads[index].carry_length : c->carry_length;
    memcpy(buffer, carry, carried);
    ssize_t got = recv(c->fd, buffer + carried, 65536, MSG_DONTWAIT);
    if (got == 0) { close_conn(index, 0); return; }
    if (got < 0) {
        if (errno != EAGAIN && errno != EINTR) close_conn(index, errno);
        return;
    }
    size_t available = carried + (size_t)got, at = 0;
    while (available - at >= 2) {
        size_t remaining = 0, header = 1;
        int shift = 0, complete = 0;
        while (header < 5 && at + header < available) {
            uint8_t b = buffer[at + header++];
            remaining |= (size_t)(b & 127) << shift;
            shift += 7;
            if (!(b & 128)) { complete = 1; break; }
        }
        if (!complete) {
            if (header >= 5) { protocol_errors++; close_conn(index, EPROTO); return; }
            break;
        }
        if (header + remaining > carry_max) { protocol_errors++; close_conn(index, EMSGSIZE); return; }
        if (available - at < header + remaining) break;
        if (on_packet(index, buffer + at, header + remaining, header, now) < 0) return;
        at += header + remaining;
    }
    size_t left = available - at;
    if (left > carry_max) { protocol_errors++; close_conn(index, EMSGSIZE); return; }
    memcpy(carry, buffer + at, left);
    if (is_workload(index)) workloads[index].carry_length = (uint16_t)left;
    else c->carry_length = (uint8_t)left;
}

/* Once a second: connect timeouts and this second's share of the pings. */
static void scan(uint64_t now, uint64_t second, int pinging) {
    uint64_t timeout_ns = (uint64_t)(opt_connect_timeout * 1e9);
    uint64_t groups = (uint64_t)(opt_ping_interval + 0.5);
    if (groups < 1) groups = 1;
    static const uint8_t pingreq[2] = {0xC0, 0};
    for (long i = 0; i < next_to_open; i++) {
        struct conn *c = &conns[i];
        if ((c->state == ST_CONNECTING || c->state == ST_WAIT_CONNACK) && now - c->started_ns > timeout_ns) {
            c->state == ST_CONNECTING ? close_conn(i, ETIMEDOUT) : close_conn(i, 255);
            continue;
        }
        if (!pinging || c->state != ST_UP || (c->flags & F_SILENT) || (uint64_t)i % groups != second % groups) continue;
        if (c->flags & F_PING_OUT) { pings_skipped++; continue; }
        int error = send_all(c, pingreq, 2);
        if (error) { close_conn(i, error); continue; }
        c->flags |= F_PING_OUT;
        pings_sent++;
    }
}

static void publish_due(uint64_t now) {
    uint64_t interval = (uint64_t)opt_message_interval_ms * 1000000ull;
    for (long i = 1; i < workload_count; i += 2) {
        struct workload *w = &workloads[i];
        if (conns[i].state != ST_UP || w->awaiting_ack || now < w->next_ns) continue;
        if (!(conns[i - 1].state == ST_UP && (conns[i - 1].flags & F_SUBSCRIBED))) continue;
        if (w->next_ns == 0) w->next_ns = now + (uint64_t)(i / 2) * interval / (uint64_t)(workload_count / 2 + 1);
        if (now < w->next_ns) continue;
        w->next_ns += interval;
        if (w->next_ns < now) w->next_ns = now + interval;
        int error = send_publish(i, now);
        if (error) close_conn(i, error);
    }
}

static long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return resident * sysconf(_SC_PAGESIZE);
}

static void print_errors(const char *name, const uint64_t *table, const char *slot0, const char *slot255) {
    printf("\"%s\":{", name);
    int first = 1;
    for (int i = 0; i < 256; i++) {
        if (!table[i]) continue;
        const char *label = i == 0 ? slot0 : i == 255 ? slot255 : errno_name(i);
        printf("%s\"%s\":%llu", first ? "" : ",", label, (unsigned long long)table[i]);
        first = 0;
    }
    printf("},");
}

static double ms(double us) { return us / 1000.0; }

/* The non-empty buckets as [[index, count], ...], so several processes' histograms can be merged. */
static void print_buckets(const char *name, const struct histogram *h) {
    printf("\"%s\":[", name);
    int first = 1;
    for (int i = 0; i < BUCKETS; i++) {
        if (!h->counts[i]) continue;
        printf("%s[%d,%llu]", first ? "" : ",", i, (unsigned long long)h->counts[i]);
        first = 0;
    }
    printf("],\"%s_max_us\":%llu,", name, (unsigned long long)h->max);
}

static void report(const char *event, uint64_t now) {
    double elapsed = (double)(now - start_ns) / 1e9;
    double window = (double)(now - window_start_ns) / 1e9;
    double ramp = ramped_ns ? (double)(ramped_ns - start_ns) / 1e9 : elapsed;
    printf("{\"event\":\"%s\",\"elapsed_s\":%.3f,\"connections_target\":%ld,\"connect_attempts\":%ld,"
           "\"connacks\":%ld,\"connected_now\":%ld,\"pending\":%ld,\"session_present\":%ld,"
           "\"ramp_done\":%s,\"ramp_s\":%.3f,\"connect_rate_per_s\":%.1f,",
           event, elapsed, opt_connections, next_to_open, connacks, connected_now, pending, session_present,
           ramped_ns ? "true" : "false", ramp, ramp > 0 ? (double)connacks / ramp : 0.0);
    printf("\"connect_p50_ms\":%.3f,\"connect_p99_ms\":%.3f,\"connect_p999_ms\":%.3f,\"connect_max_ms\":%.3f,",
           ms(quantile(&connect_latency_us, .5)), ms(quantile(&connect_latency_us, .99)),
           ms(quantile(&connect_latency_us, .999)), ms((double)connect_latency_us.max));
    printf("\"connack_refused\":{");
    for (int i = 1, first = 1; i < 6; i++)
        if (connack_codes[i]) { printf("%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)connack_codes[i]); first = 0; }
    printf("},");
    print_errors("connect_errors", connect_errors, "EOF", "CONNACK_TIMEOUT");
    print_errors("drops_after_connack", drop_errors, "EOF", "E?");
    printf("\"protocol_errors\":%llu,\"silent\":%ld,\"silent_closed_by_server\":%llu,\"others_closed_after_connack\":%llu,",
           (unsigned long long)protocol_errors, opt_silent, (unsigned long long)silent_closed,
           (unsigned long long)other_closed_after_up);
    long outstanding = 0;
    for (long i = 0; i < next_to_open; i++) outstanding += (conns[i].flags & F_PING_OUT) && conns[i].state == ST_UP;
    printf("\"window_s\":%.3f,\"pings_sent\":%llu,\"pongs_received\":%llu,\"pings_outstanding\":%ld,"
           "\"pings_skipped_outstanding\":%llu,\"unexpected_pongs\":%llu,",
           window, (unsigned long long)pings_sent, (unsigned long long)pongs_received, outstanding,
           (unsigned long long)pings_skipped, (unsigned long long)unexpected_pongs);
    printf("\"workload\":{\"clients\":%ld,\"qos\":1,\"payload_bytes\":16,\"message_interval_ms\":%ld,"
           "\"published\":%llu,\"acked\":%llu,\"delivered\":%llu,\"duplicates\":%llu,\"subscribe_refused\":%llu,"
           "\"messages_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
           "\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f},",
           workload_count, opt_message_interval_ms, (unsigned long long)published, (unsigned long long)acked,
           (unsigned long long)delivered, (unsigned long long)duplicates, (unsigned long long)subscribe_refused,
           window > 0 ? (double)delivered / window : 0.0, ms(quantile(&delivery_latency_us, .5)),
           ms(quantile(&delivery_latency_us, .99)), ms(quantile(&delivery_latency_us, .999)),
           ms((double)delivery_latency_us.max), ms(quantile(&ack_latency_us, .5)), ms(quantile(&ack_latency_us, .99)));
    print_buckets("connect_buckets", &connect_latency_us);
    print_buckets("delivery_buckets", &delivery_latency_us);
    printf("\"wills_received\":%llu,", (unsigned long long)wills_received);
    printf("\"clean_session\":%d,\"keepalive_s\":%d,\"ping_interval_s\":%g,\"sources\":%d,\"first_source\":\"%s\","
           "\"state_bytes_per_connection\":%zu,\"rss_bytes\":%ld}\n",
           opt_clean, opt_keepalive, opt_ping_interval, opt_sources, opt_first_source, sizeof(struct conn),
           rss_bytes());
    fflush(stdout);
}

static void reset_window(uint64_t now) {
    pings_sent = pongs_received = pings_skipped = unexpected_pongs = 0;
    published = acked = delivered = duplicates = 0;
    memset(&delivery_latency_us, 0, sizeof delivery_latency_us);
    memset(&ack_latency_us, 0, sizeof ack_latency_us);
    window_start_ns = now;
}

/* Whether pongs or acks are still awaited (a snapshot waits for them, at most 3 s). */
static int in_flight(void) {
    for (long i = 0; i < next_to_open; i++)
        if (conns[i].state == ST_UP && (conns[i].flags & F_PING_OUT)) return 1;
    for (long i = 1; i < workload_count; i += 2)
        if (conns[i].state == ST_UP && workloads[i].awaiting_ack) return 1;
    return 0;
}

int main(int argc, char **argv) {
    parse(argc, argv);
    conns = calloc((size_t)opt_connections, sizeof *conns);
    workload_count = (long)(opt_workload_fraction * (double)opt_connections) & ~1L;
    workloads = calloc((size_t)(workload_count ? workload_count : 1), sizeof *workloads);
    if (!conns || !workloads) { fprintf(stderr, "mqtt-million: out of memory\n"); return 1; }
    for (long i = 0; i < opt_connections; i++) {
        conns[i].fd = -1;
        if (i >= opt_connections - opt_silent) conns[i].flags = F_SILENT;
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < (rlim_t)opt_connections + 64) {
        fprintf(stderr, "mqtt-million: RLIMIT_NOFILE is %llu, below --connections %ld + 64: raise it (ulimit -n)\n",
                (unsigned long long)limit.rlim_cur, opt_connections);
        return 1;
    }
    struct sigaction action = {.sa_handler = on_signal};
    sigaction(SIGUSR1, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) { perror("mqtt-million: epoll_create1"); return 1; }
    static struct epoll_event events[4096];
    start_ns = window_start_ns = now_ns();
    uint64_t next_scan = start_ns + 1000000000ull, second = 0, draining_since = 0;
    int draining = 0;
    for (;;) {
        uint64_t now = now_ns();
        if (opt_duration > 0 && now - start_ns >= (uint64_t)(opt_duration * 1e9)) stop_requested = 1;
        if ((snapshot_requested || stop_requested) && !draining) { draining = 1; draining_since = now; }
        if (draining && (!in_flight() || now - draining_since > 3000000000ull)) {
            report(stop_requested ? "final" : "snapshot", now);
            if (stop_requested) return 0;
            snapshot_requested = 0;
            draining = 0;
            reset_window(now);
        }
        double allowed = opt_rate * (double)(now - start_ns) / 1e9 + 1;
        while (!stop_requested && next_to_open < opt_connections && next_to_open < allowed && pending < opt_pending_max)
            open_next(now);
        if (!ramp_reported && next_to_open == opt_connections && pending == 0) {
            ramped_ns = now;
            ramp_reported = 1;
            report("ramped", now);
        }
        if (now >= next_scan) {
            scan(now, second++, !draining);
            next_scan += 1000000000ull;
        }
        if (!draining) publish_due(now);
        int ready = epoll_wait(epoll_fd, events, 4096, next_to_open < opt_connections ? 1 : 5);
        if (ready < 0 && errno != EINTR) { perror("mqtt-million: epoll_wait"); return 1; }
        now = now_ns();
        for (int e = 0; e < ready; e++) {
            long index = (long)events[e].data.u64;
            struct conn *c = &conns[index];
            if (c->state == ST_DONE || c->fd < 0) continue;
            if (c->state == ST_CONNECTING) {
                if (events[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(index);
                continue;
            }
            if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(index, now);
        }
    }
}
