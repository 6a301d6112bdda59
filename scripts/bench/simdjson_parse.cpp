// Raw parse rate of simdjson on an NDJSON file: every line is parsed into a DOM and then dropped.
// This is the ceiling for a decoder that reads whole documents; eqlstream's replay is measured against it.
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: simdjson_parse FILE\n");
        return 2;
    }
    std::ifstream input(argv[1], std::ios::binary);
    std::stringstream whole;
    whole << input.rdbuf();
    const std::string text = whole.str();

    simdjson::dom::parser parser;
    size_t documents = 0, failures = 0;
    const auto start = std::chrono::steady_clock::now();
    size_t begin = 0;
    while (begin < text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        if (end > begin) {
            simdjson::dom::element element;
            if (parser.parse(text.data() + begin, end - begin, true).get(element)) failures++;
            documents++;
        }
        begin = end + 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"documents\": %zu, \"failures\": %zu, \"bytes\": %zu, \"seconds\": %.6f}\n", documents, failures,
                text.size(), seconds);
    return 0;
}
