/*
 * Produces the lines of a keyed NDJSON file ("key|document" per line) to a Kafka topic at a steady rate, for the
 * latency benchmark.
 *
 * It speaks the Kafka protocol itself, as a producer does that groups batches by broker: every linger interval it
 * sends one Produce request (version 3, record batch format 2) that carries a batch for each partition with new
 * messages. librdkafka 2.0.2 sends one request per partition instead, and on a two-core machine its producer and
 * the broker's handling of those requests took more CPU than the pipeline under test. The whole file is read
 * before the clock starts. Message N is due N / EVENTS_PER_SECOND seconds after the start, and its CreateTime is
 * that moment, as a client library stamps a message when the application produces it. The time the message then
 * waits for its request counts in the latency measured from that stamp.
 *
 * The cluster must have one broker (eqlstream dev-broker --brokers 1), which leads every partition. A message goes
 * to the partition given by the FNV-1a hash of its key, so one key stays in one partition.
 *
 * Build: gcc -O2 -msse4.2 paced_produce.c -o paced_produce -lpthread
 * Usage: paced_produce HOST:PORT TOPIC PARTITIONS FILE EVENTS_PER_SECOND [LINGER_MS]
 * Prints one JSON object: events sent, seconds the feed took, requests sent, and errors in the responses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nmmintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A growable byte buffer. */
typedef struct {
    unsigned char *bytes;
    size_t count, capacity;
} buffer_t;

static void reserve(buffer_t *buffer, size_t more) {
    if (buffer->count + more <= buffer->capacity) return;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->count + more) capacity *= 2;
    buffer->bytes = realloc(buffer->bytes, capacity);
    if (!buffer->bytes) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    buffer->capacity = capacity;
}

static void put(buffer_t *buffer, const void *bytes, size_t count) {
    reserve(buffer, count);
    memcpy(buffer->bytes + buffer->count, bytes, count);
    buffer->count += count;
}

static void put8(buffer_t *buffer, uint8_t value) { put(buffer, &value, 1); }
static void put16(buffer_t *buffer, uint16_t value) { value = htons(value); put(buffer, &value, 2); }
static void put32(buffer_t *buffer, uint32_t value) { value = htonl(value); put(buffer, &value, 4); }
static void put64(buffer_t *buffer, uint64_t value) {
    put32(buffer, (uint32_t)(value >> 32));
    put32(buffer, (uint32_t)value);
}
static void set32(buffer_t *buffer, size_t at, uint32_t value) {
    value = htonl(value);
    memcpy(buffer->bytes + at, &value, 4);
}

/* A zigzag varint, as record fields are written. */
static void put_varint(buffer_t *buffer, int64_t value) {
    uint64_t encoded = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
    while (encoded >= 0x80) {
        put8(buffer, (uint8_t)(encoded | 0x80));
        encoded >>= 7;
    }
    put8(buffer, (uint8_t)encoded);
}

static size_t varint_size(int64_t value) {
    uint64_t encoded = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
    size_t size = 1;
    while (encoded >= 0x80) {
        size++;
        encoded >>= 7;
    }
    return size;
}

static uint32_t crc32c(const unsigned char *bytes, size_t count) {
    uint64_t crc = 0xFFFFFFFF;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        crc = _mm_crc32_u64(crc, word);
        bytes += 8;
        count -= 8;
    }
    while (count--) crc = _mm_crc32_u8((uint32_t)crc, *bytes++);
    return (uint32_t)crc ^ 0xFFFFFFFF;
}

static double monotonic_seconds(void) {
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    return (double)clock.tv_sec + (double)clock.tv_nsec / 1e9;
}

static int64_t wall_milliseconds(void) {
    struct timespec clock;
    clock_gettime(CLOCK_REALTIME, &clock);
    return (int64_t)clock.tv_sec * 1000 + clock.tv_nsec / 1000000;
}

static void send_all(int fd, const unsigned char *bytes, size_t count) {
    while (count > 0) {
        ssize_t written = send(fd, bytes, count, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR) continue;
            perror("send");
            exit(1);
        }
        bytes += written;
        count -= (size_t)written;
    }
}

static int read_all(int fd, unsigned char *bytes, size_t count) {
    while (count > 0) {
        ssize_t got = recv(fd, bytes, count, 0);
        if (got == 0) return -1;
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += got;
        count -= (size_t)got;
    }
    return 0;
}

static int connection = -1;
static atomic_long answered = 0;
static atomic_long failed = 0;

static uint32_t get32(const unsigned char *bytes) {
    uint32_t value;
    memcpy(&value, bytes, 4);
    return ntohl(value);
}

static uint16_t get16(const unsigned char *bytes) {
    uint16_t value;
    memcpy(&value, bytes, 2);
    return ntohs(value);
}

/* Reads Produce responses and counts partition errors. Version 3: correlation id, then per topic its name and per
 * partition its index, error code, base offset and log append time, then the throttle time. */
static void *read_responses(void *unused) {
    (void)unused;
    unsigned char header[4];
    while (read_all(connection, header, 4) == 0) {
        uint32_t size = get32(header);
        unsigned char *body = malloc(size);
        if (!body || read_all(connection, body, size) != 0) break;
        size_t at = 4;
        uint32_t topics = get32(body + at);
        at += 4;
        for (uint32_t topic = 0; topic < topics; topic++) {
            at += 2 + get16(body + at);
            uint32_t partitions = get32(body + at);
            at += 4;
            for (uint32_t index = 0; index < partitions; index++) {
                uint16_t error = get16(body + at + 4);
                if (error != 0) {
                    if (atomic_fetch_add(&failed, 1) < 5) {
                        fprintf(stderr, "produce failed for partition %u: error code %u\n", get32(body + at), error);
                    }
                }
                at += 4 + 2 + 8 + 8;
            }
        }
        free(body);
        atomic_fetch_add(&answered, 1);
    }
    return NULL;
}

typedef struct {
    const char *key;
    size_t key_length;
    const char *value;
    size_t value_length;
} message_t;

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST:PORT TOPIC PARTITIONS FILE EVENTS_PER_SECOND [LINGER_MS]\n", argv[0]);
        return 2;
    }
    char host[256];
    snprintf(host, sizeof host, "%s", argv[1]);
    char *comma = strchr(host, ',');
    if (comma) *comma = '\0';
    char *colon = strrchr(host, ':');
    if (!colon) {
        fprintf(stderr, "invalid broker address %s: expected HOST:PORT\n", argv[1]);
        return 2;
    }
    *colon = '\0';
    const char *topic = argv[2];
    int partitions = atoi(argv[3]);
    double rate = atof(argv[5]);
    double linger = argc > 6 ? atof(argv[6]) / 1000.0 : 0.001;
    if (partitions <= 0 || rate <= 0 || linger <= 0) {
        fprintf(stderr, "PARTITIONS, EVENTS_PER_SECOND and LINGER_MS must be positive\n");
        return 2;
    }

    FILE *file = fopen(argv[4], "rb");
    if (!file) {
        fprintf(stderr, "failed to open %s: %s\n", argv[4], strerror(errno));
        return 2;
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)length + 1);
    if (!text || fread(text, 1, (size_t)length, file) != (size_t)length) {
        fprintf(stderr, "failed to read %s\n", argv[4]);
        return 2;
    }
    fclose(file);
    text[length] = '\n';
    size_t capacity = 1024, total = 0;
    message_t *messages = malloc(capacity * sizeof *messages);
    for (char *line = text; line < text + length;) {
        char *end = memchr(line, '\n', (size_t)(text + length + 1 - line));
        if (end > line) {
            if (total == capacity) messages = realloc(messages, (capacity *= 2) * sizeof *messages);
            char *bar = memchr(line, '|', (size_t)(end - line));
            messages[total].key = bar ? line : NULL;
            messages[total].key_length = bar ? (size_t)(bar - line) : 0;
            messages[total].value = bar ? bar + 1 : line;
            messages[total].value_length = (size_t)(end - messages[total].value);
            total++;
        }
        line = end + 1;
    }
    int *partition_of = malloc(total * sizeof *partition_of);
    for (size_t index = 0; index < total; index++) {
        uint32_t hash = 2166136261u;
        for (size_t at = 0; at < messages[index].key_length; at++) {
            hash = (hash ^ (unsigned char)messages[index].key[at]) * 16777619u;
        }
        partition_of[index] = messages[index].key ? (int)(hash % (uint32_t)partitions) : (int)(index % (size_t)partitions);
    }

    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        fprintf(stderr, "invalid broker host %s: expected an IPv4 address\n", host);
        return 2;
    }
    connection = socket(AF_INET, SOCK_STREAM, 0);
    if (connection < 0 || connect(connection, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("connect");
        return 1;
    }
    int enabled = 1;
    setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &enabled, sizeof enabled);
    pthread_t reader;
    pthread_create(&reader, NULL, read_responses, NULL);

    buffer_t request = {0}, *batches = calloc((size_t)partitions, sizeof(buffer_t));
    int *records = calloc((size_t)partitions, sizeof(int));
    size_t topic_length = strlen(topic);
    long requests = 0;
    size_t sent = 0;
    double began = monotonic_seconds();
    int64_t began_wall = wall_milliseconds();
    int64_t *first_stamp = calloc((size_t)partitions, sizeof(int64_t));
    int64_t *last_stamp = calloc((size_t)partitions, sizeof(int64_t));
    for (long tick = 1; sent < total; tick++) {
        size_t due = (size_t)((monotonic_seconds() - began) * rate) + 1;
        if (due > total) due = total;
        if (due > sent) {
            for (int partition = 0; partition < partitions; partition++) {
                batches[partition].count = 0;
                records[partition] = 0;
            }
            for (size_t index = sent; index < due; index++) {
                int partition = partition_of[index];
                buffer_t *batch = &batches[partition];
                const message_t *message = &messages[index];
                int64_t key_length = message->key ? (int64_t)message->key_length : -1;
                int64_t stamp = began_wall + (int64_t)((double)index * 1000.0 / rate);
                if (records[partition] == 0) first_stamp[partition] = stamp;
                last_stamp[partition] = stamp;
                int64_t delta = stamp - first_stamp[partition];
                size_t body = 1 + varint_size(delta) + varint_size(records[partition]) + varint_size(key_length)
                    + (message->key ? message->key_length : 0) + varint_size((int64_t)message->value_length)
                    + message->value_length + 1;
                put_varint(batch, (int64_t)body);
                put8(batch, 0);                     /* attributes */
                put_varint(batch, delta);           /* timestamp delta */
                put_varint(batch, records[partition]); /* offset delta */
                put_varint(batch, key_length);
                if (message->key) put(batch, message->key, message->key_length);
                put_varint(batch, (int64_t)message->value_length);
                put(batch, message->value, message->value_length);
                put_varint(batch, 0);               /* headers */
                records[partition]++;
            }
            request.count = 0;
            put32(&request, 0);                     /* size, set below */
            put16(&request, 0);                     /* Produce */
            put16(&request, 3);
            put32(&request, (uint32_t)requests);    /* correlation id */
            put16(&request, 13);                    /* client id */
            put(&request, "paced_produce", 13);
            put16(&request, 0xFFFF);                /* no transactional id */
            put16(&request, 0xFFFF);                /* acks: all */
            put32(&request, 30000);
            put32(&request, 1);                     /* one topic */
            put16(&request, (uint16_t)topic_length);
            put(&request, topic, topic_length);
            int used = 0;
            for (int partition = 0; partition < partitions; partition++) used += records[partition] > 0;
            put32(&request, (uint32_t)used);
            for (int partition = 0; partition < partitions; partition++) {
                if (records[partition] == 0) continue;
                put32(&request, (uint32_t)partition);
                size_t size_at = request.count;
                put32(&request, 0);                 /* record batch size, set below */
                size_t batch_at = request.count;
                put64(&request, 0);                 /* base offset */
                put32(&request, 0);                 /* batch length, set below */
                put32(&request, 0xFFFFFFFF);        /* partition leader epoch */
                put8(&request, 2);                  /* magic */
                size_t crc_at = request.count;
                put32(&request, 0);                 /* CRC-32C, set below */
                put16(&request, 0);                 /* attributes: no compression, CreateTime */
                put32(&request, (uint32_t)(records[partition] - 1));
                put64(&request, (uint64_t)first_stamp[partition]);
                put64(&request, (uint64_t)last_stamp[partition]);
                put64(&request, UINT64_MAX);        /* producer id: none */
                put16(&request, 0xFFFF);
                put32(&request, 0xFFFFFFFF);
                put32(&request, (uint32_t)records[partition]);
                put(&request, batches[partition].bytes, batches[partition].count);
                set32(&request, size_at, (uint32_t)(request.count - batch_at));
                set32(&request, batch_at + 8, (uint32_t)(request.count - batch_at - 12));
                set32(&request, crc_at, crc32c(request.bytes + crc_at + 4, request.count - crc_at - 4));
            }
            set32(&request, 0, (uint32_t)(request.count - 4));
            send_all(connection, request.bytes, request.count);
            requests++;
            sent = due;
        }
        double wait = began + (double)tick * linger - monotonic_seconds();
        if (wait > 0) {
            struct timespec pause = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&pause, NULL);
        }
    }
    double fed = monotonic_seconds() - began;
    for (double deadline = monotonic_seconds() + 30; atomic_load(&answered) < requests && monotonic_seconds() < deadline;) {
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    long unanswered = requests - atomic_load(&answered);
    printf("{\"events\": %zu, \"seconds\": %.4f, \"requests\": %ld, \"failed\": %ld, \"unanswered\": %ld}\n", sent,
           fed, requests, atomic_load(&failed), unanswered);
    return atomic_load(&failed) || unanswered ? 1 : 0;
}
