/*
 * A lean gRPC load generator for the predictor benchmark (unary calls over HTTP/2 with
 * nghttp2, one thread, poll).
 *
 * On a small machine the load generator shares the cores with the server it measures; a
 * Python gRPC client spends about as much CPU per call as the server's own gRPC layer. This
 * one sends the same pre-serialized requests as the Python clients of _load_clients.py:
 * CONCURRENCY callers spread round robin over CONNECTIONS connections, each caller sending
 * its next request when the previous answer arrived, with a 30 s grpc-timeout. A call
 * counts as answered only with HTTP status 200, grpc-status 0 and a response message; its
 * latency runs from submitting the request to the end of the response stream. Before
 * timing, WARM calls run one at a time per connection.
 *
 *   grpc_load HOST PORT PATH REQUESTS CONCURRENCY CONNECTIONS DURATION_S MAX_REQUESTS WARM
 *
 * REQUESTS is a file of records: a 4-byte big-endian length, then a serialized request.
 * Prints one JSON object: elapsed_s, failures, failure_examples, versions (the
 * model.version field of the answers, if it is a PredictResponse) and latencies_us.
 * Built by _grpc_load.py: cc -O2 grpc_load.c -lnghttp2 (Debian: libnghttp2-dev).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 256
#define MAX_RESPONSE 65536
#define MAX_VERSIONS 64
#define MAX_EXAMPLES 3

typedef struct {
    uint8_t *data; /* 5-byte gRPC prefix + message */
    size_t size;
} request_t;

typedef struct {
    int connection;
    int busy;
    double sent_at;
    const request_t *request;
    size_t offset;
    size_t next; /* index of the next request this caller sends */
    int http_status;
    int grpc_status;
    char grpc_message[160];
    uint8_t response[MAX_RESPONSE];
    size_t response_size;
} caller_t;

typedef struct {
    int fd;
    nghttp2_session *session;
    uint8_t *out;
    size_t out_size, out_cap;
} connection_t;

static request_t *requests;
static size_t request_count;
static connection_t connections[MAX_CONNECTIONS];
static int connection_count;
static const char *authority, *path;

static uint32_t *latencies_us;
static size_t latency_count, latency_cap;
static long failures;
static char examples[MAX_EXAMPLES][200];
static int example_count;
static long long versions[MAX_VERSIONS];
static int version_count;
static int recording;
static long in_flight;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what) {
    fprintf(stderr, "grpc_load: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void load_requests(const char *file) {
    FILE *f = fopen(file, "rb");
    if (!f) die(file);
    size_t cap = 1024;
    requests = malloc(cap * sizeof *requests);
    uint8_t header[4];
    while (fread(header, 1, 4, f) == 4) {
        uint32_t size = ((uint32_t)header[0] << 24) | ((uint32_t)header[1] << 16) |
                        ((uint32_t)header[2] << 8) | header[3];
        if (request_count == cap) requests = realloc(requests, (cap *= 2) * sizeof *requests);
        request_t *r = &requests[request_count++];
        r->size = size + 5;
        r->data = malloc(r->size);
        r->data[0] = 0; /* not compressed */
        memcpy(r->data + 1, header, 4);
        if (fread(r->data + 5, 1, size, f) != size) die("truncated requests file");
    }
    fclose(f);
    if (request_count == 0) {
        fprintf(stderr, "grpc_load: no requests in %s\n", file);
        exit(2);
    }
}

/* --- protobuf: model.version of a PredictResponse (field 1 -> field 2) ---------------- */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *value) {
    *value = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        *value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return 1;
    }
    return 0;
}

static long long field_version(const uint8_t *p, const uint8_t *end, int depth) {
    while (p < end) {
        uint64_t key, value;
        if (!varint(&p, end, &key)) return -1;
        unsigned field = (unsigned)(key >> 3), type = (unsigned)(key & 7);
        if (type == 0) {
            if (!varint(&p, end, &value)) return -1;
            if (depth == 1 && field == 2) return (long long)value;
        } else if (type == 2) {
            if (!varint(&p, end, &value) || value > (uint64_t)(end - p)) return -1;
            if (depth == 0 && field == 1) return field_version(p, p + value, 1);
            p += value;
        } else if (type == 5) {
            p += 4;
        } else if (type == 1) {
            p += 8;
        } else {
            return -1;
        }
    }
    return -1;
}

static void note_failure(const char *text) {
    failures++;
    if (example_count < MAX_EXAMPLES) snprintf(examples[example_count++], 200, "%s", text);
}

static void record(caller_t *c, uint32_t error_code) {
    char text[200];
    if (error_code != 0) {
        snprintf(text, sizeof text, "stream reset: %s", nghttp2_http2_strerror(error_code));
        note_failure(text);
        return;
    }
    if (c->http_status != 200 || c->grpc_status != 0 || c->response_size < 5) {
        snprintf(text, sizeof text, "http %d grpc-status %d: %s", c->http_status,
                 c->grpc_status, c->grpc_message);
        note_failure(text);
        return;
    }
    double seconds = now() - c->sent_at;
    if (latency_count == latency_cap) {
        latency_cap = latency_cap ? latency_cap * 2 : 65536;
        latencies_us = realloc(latencies_us, latency_cap * sizeof *latencies_us);
    }
    latencies_us[latency_count++] = (uint32_t)(seconds * 1e6 + 0.5);
    long long version = field_version(c->response + 5, c->response + c->response_size, 0);
    if (version >= 0) {
        int known = 0;
        for (int i = 0; i < version_count; i++) known |= versions[i] == version;
        if (!known && version_count < MAX_VERSIONS) versions[version_count++] = version;
    }
}

/* --- nghttp2 callbacks ------------------------------------------------------------------ */
static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *source, void *user) {
    (void)s, (void)id, (void)user;
    caller_t *c = source->ptr;
    size_t left = c->request->size - c->offset;
    size_t n = left < length ? left : length;
    memcpy(buf, c->request->data + c->offset, n);
    c->offset += n;
    if (c->offset == c->request->size) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user) {
    (void)flags, (void)user;
    caller_t *c = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (!c) return 0;
    if (namelen == 7 && !memcmp(name, ":status", 7)) {
        c->http_status = atoi((const char *)value);
    } else if (namelen == 11 && !memcmp(name, "grpc-status", 11)) {
        char digits[16] = {0};
        memcpy(digits, value, valuelen < 15 ? valuelen : 15);
        c->grpc_status = atoi(digits);
    } else if (namelen == 12 && !memcmp(name, "grpc-message", 12)) {
        size_t n = valuelen < sizeof c->grpc_message - 1 ? valuelen : sizeof c->grpc_message - 1;
        memcpy(c->grpc_message, value, n);
        c->grpc_message[n] = 0;
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *user) {
    (void)flags, (void)user;
    caller_t *c = nghttp2_session_get_stream_user_data(s, id);
    if (!c) return 0;
    size_t room = MAX_RESPONSE - c->response_size;
    size_t n = len < room ? len : room;
    memcpy(c->response + c->response_size, data, n);
    c->response_size += n;
    return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user) {
    (void)user;
    caller_t *c = nghttp2_session_get_stream_user_data(s, id);
    if (!c) return 0;
    if (recording) record(c, error_code);
    c->busy = 0;
    in_flight--;
    return 0;
}

static void submit(caller_t *c) {
    connection_t *conn = &connections[c->connection];
    c->request = &requests[c->next % request_count];
    c->next++;
    c->offset = 0;
    c->http_status = 0;
    c->grpc_status = -1;
    c->grpc_message[0] = 0;
    c->response_size = 0;
    const nghttp2_nv headers[] = {
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
        NV(":method", "POST"),
        NV(":scheme", "http"),
        NV(":path", path),
        NV(":authority", authority),
        NV("content-type", "application/grpc"),
        NV("te", "trailers"),
        NV("grpc-timeout", "30S"),
#undef NV
    };
    nghttp2_data_provider body = {.source.ptr = c, .read_callback = read_body};
    c->sent_at = now();
    if (nghttp2_submit_request(conn->session, NULL, headers, sizeof headers / sizeof *headers,
                               &body, c) < 0) {
        fprintf(stderr, "grpc_load: cannot submit a request\n");
        exit(2);
    }
    c->busy = 1;
    in_flight++;
}

/* --- connections and the event loop --------------------------------------------------- */
static void connect_all(const char *host, const char *port) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *found;
    if (getaddrinfo(host, port, &hints, &found) != 0) die("getaddrinfo");
    nghttp2_session_callbacks *callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_close);
    for (int i = 0; i < connection_count; i++) {
        connection_t *conn = &connections[i];
        conn->fd = socket(found->ai_family, SOCK_STREAM, 0);
        if (conn->fd < 0 || connect(conn->fd, found->ai_addr, found->ai_addrlen) < 0)
            die("connect");
        int one = 1;
        setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(conn->fd, F_SETFL, O_NONBLOCK);
        nghttp2_session_client_new(&conn->session, callbacks, NULL);
        nghttp2_settings_entry settings[] = {
            {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1024},
            {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24},
        };
        nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings, 2);
        nghttp2_session_set_local_window_size(conn->session, NGHTTP2_FLAG_NONE, 0, 1 << 26);
    }
    nghttp2_session_callbacks_del(callbacks);
    freeaddrinfo(found);
}

static void flush(connection_t *conn) {
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(conn->session, &data);
        if (n < 0) {
            fprintf(stderr, "grpc_load: %s\n", nghttp2_strerror((int)n));
            exit(2);
        }
        if (n == 0) break;
        if (conn->out_size + (size_t)n > conn->out_cap) {
            conn->out_cap = (conn->out_size + (size_t)n) * 2;
            conn->out = realloc(conn->out, conn->out_cap);
        }
        memcpy(conn->out + conn->out_size, data, (size_t)n);
        conn->out_size += (size_t)n;
    }
    while (conn->out_size > 0) {
        ssize_t n = write(conn->fd, conn->out, conn->out_size);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            die("write");
        }
        memmove(conn->out, conn->out + n, conn->out_size - (size_t)n);
        conn->out_size -= (size_t)n;
    }
}

/* Run callers until ``end`` (or ``budget`` answers), then until none is in flight. */
static void run(caller_t *callers, int count, double end, long budget) {
    static uint8_t buffer[1 << 16];
    struct pollfd fds[MAX_CONNECTIONS];
    long issued = 0;
    for (;;) {
        int open = now() < end && (budget <= 0 || issued < budget);
        for (int i = 0; i < count && open; i++) {
            if (!callers[i].busy && (budget <= 0 || issued < budget)) {
                submit(&callers[i]);
                issued++;
            }
        }
        if (!open && in_flight == 0) return;
        for (int i = 0; i < connection_count; i++) {
            flush(&connections[i]);
            fds[i].fd = connections[i].fd;
            fds[i].events = POLLIN | (connections[i].out_size ? POLLOUT : 0);
        }
        if (poll(fds, (nfds_t)connection_count, 100) < 0 && errno != EINTR) die("poll");
        for (int i = 0; i < connection_count; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n == 0) {
                fprintf(stderr, "grpc_load: the server closed connection %d\n", i);
                exit(2);
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                die("read");
            }
            if (nghttp2_session_mem_recv(connections[i].session, buffer, (size_t)n) < 0) {
                fprintf(stderr, "grpc_load: protocol error on connection %d\n", i);
                exit(2);
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 10) {
        fprintf(stderr, "usage: grpc_load HOST PORT PATH REQUESTS CONCURRENCY CONNECTIONS "
                        "DURATION_S MAX_REQUESTS WARM\n");
        return 2;
    }
    static char authority_text[300];
    snprintf(authority_text, sizeof authority_text, "%s:%s", argv[1], argv[2]);
    authority = authority_text;
    path = argv[3];
    load_requests(argv[4]);
    int concurrency = atoi(argv[5]);
    connection_count = atoi(argv[6]);
    double duration = atof(argv[7]);
    long budget = atol(argv[8]);
    int warm = atoi(argv[9]);
    if (concurrency < 1 || connection_count < 1 || connection_count > MAX_CONNECTIONS) {
        fprintf(stderr, "grpc_load: bad concurrency or connection count\n");
        return 2;
    }
    if (connection_count > concurrency) connection_count = concurrency;
    connect_all(argv[1], argv[2]);

    caller_t *callers = calloc((size_t)concurrency, sizeof *callers);
    for (int i = 0; i < concurrency; i++) {
        callers[i].connection = i % connection_count;
        callers[i].next = (size_t)i * 7919;
    }
    for (int round = 0; round < warm; round++) /* one caller per connection */
        run(callers, connection_count, now() + 60.0, connection_count);
    recording = 1;
    double started = now();
    run(callers, concurrency, started + duration, budget);
    double elapsed = now() - started;

    printf("{\"elapsed_s\": %.6f, \"failures\": %ld, \"failure_examples\": [", elapsed, failures);
    for (int i = 0; i < example_count; i++) {
        printf("%s\"", i ? ", " : "");
        for (const char *p = examples[i]; *p; p++)
            if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) putchar(*p);
        putchar('"');
    }
    printf("], \"versions\": [");
    for (int i = 0; i < version_count; i++) printf("%s%lld", i ? ", " : "", versions[i]);
    printf("], \"latencies_us\": [");
    for (size_t i = 0; i < latency_count; i++) printf("%s%u", i ? "," : "", latencies_us[i]);
    printf("]}\n");
    return 0;
}
