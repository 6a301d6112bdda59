#ifndef EQLSTREAM_CRDKAFKA_SHIM_H
#define EQLSTREAM_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
