/*
 * Produces the lines of a keyed NDJSON file ("key|document" per line) to a Kafka topic at a steady rate, for the
 * latency benchmark. The whole file is read before the clock starts and messages point into it, so the feeder
 * spends its time in librdkafka rather than in reading, splitting or copying.
 *
 * Build: cc -O2 paced_produce.c -o paced_produce -lrdkafka
 * Usage: paced_produce BOOTSTRAP TOPIC FILE EVENTS_PER_SECOND [name=value ...]
 * Each name=value is a librdkafka producer property. Prints one JSON object with the events sent, the seconds the
 * feed took and the delivery failures.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long failures = 0;

static void on_delivery(rd_kafka_t *producer, const rd_kafka_message_t *message, void *opaque) {
    (void)producer;
    (void)opaque;
    if (message->err) {
        failures++;
        if (failures <= 5) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(message->err));
    }
}

static double now_seconds(void) {
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    return (double)clock.tv_sec + (double)clock.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *bytes = malloc((size_t)length + 1);
    if (!bytes || fread(bytes, 1, (size_t)length, file) != (size_t)length) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(file);
    bytes[length] = '\n';
    *size = (size_t)length;
    return bytes;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s BOOTSTRAP TOPIC FILE EVENTS_PER_SECOND [name=value ...]\n", argv[0]);
        return 2;
    }
    const char *topic = argv[2];
    double rate = atof(argv[4]);
    if (rate <= 0) {
        fprintf(stderr, "the rate must be a positive number of events per second\n");
        return 2;
    }

    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], error, sizeof error) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s\n", error);
        return 2;
    }
    for (int index = 5; index < argc; index++) {
        char *equals = strchr(argv[index], '=');
        if (!equals) {
            fprintf(stderr, "expected name=value, got %s\n", argv[index]);
            return 2;
        }
        *equals = '\0';
        if (rd_kafka_conf_set(conf, argv[index], equals + 1, error, sizeof error) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "%s\n", error);
            return 2;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!producer) {
        fprintf(stderr, "%s\n", error);
        return 2;
    }

    size_t size = 0;
    char *bytes = read_file(argv[3], &size);
    long count = 0;
    for (size_t at = 0; at < size; at++) count += bytes[at] == '\n';
    if (size > 0 && bytes[size - 1] != '\n') count++;
    char **lines = malloc(sizeof(char *) * (size_t)(count + 1));
    long total = 0;
    for (char *line = bytes; line < bytes + size;) {
        lines[total++] = line;
        line = memchr(line, '\n', (size_t)(bytes + size + 1 - line)) + 1;
    }
    lines[total] = bytes + size + 1;

    // Learn the topic's partition leaders first, so messages do not wait for metadata once the clock runs.
    rd_kafka_topic_t *handle = rd_kafka_topic_new(producer, topic, NULL);
    const struct rd_kafka_metadata *metadata = NULL;
    rd_kafka_resp_err_t lookup = rd_kafka_metadata(producer, 0, handle, &metadata, 10000);
    if (lookup) {
        fprintf(stderr, "no metadata for %s: %s\n", topic, rd_kafka_err2str(lookup));
        return 1;
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);

    double began = now_seconds();
    long sent = 0;
    while (sent < total) {
        long due = (long)((now_seconds() - began) * rate) + 1;
        if (due > total) due = total;
        for (; sent < due; sent++) {
            char *line = lines[sent];
            size_t length = (size_t)(lines[sent + 1] - line - 1);
            char *bar = memchr(line, '|', length);
            char *value = bar ? bar + 1 : line;
            size_t key_length = bar ? (size_t)(bar - line) : 0;
            rd_kafka_resp_err_t status;
            while ((status = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                               RD_KAFKA_V_KEY(line, key_length),
                                               RD_KAFKA_V_VALUE(value, length - (size_t)(value - line)),
                                               RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(producer, 1);
            }
            if (status) {
                fprintf(stderr, "produce failed: %s\n", rd_kafka_err2str(status));
                return 1;
            }
        }
        rd_kafka_poll(producer, 0);
        double next = began + (double)(sent + 1) / rate;
        double wait = next - now_seconds();
        if (wait > 0) {
            if (wait > 0.001) wait = 0.001;
            struct timespec pause = {0, (long)(wait * 1e9)};
            nanosleep(&pause, NULL);
        }
    }
    double fed = now_seconds() - began;
    rd_kafka_flush(producer, 30000);
    printf("{\"events\": %ld, \"seconds\": %.4f, \"failed\": %ld, \"unsent\": %d}\n", sent, fed, failures,
           rd_kafka_outq_len(producer));
    rd_kafka_destroy(producer);
    free(lines);
    free(bytes);
    return failures ? 1 : 0;
}
