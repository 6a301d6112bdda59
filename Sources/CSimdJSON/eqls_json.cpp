#include "eqls_json.h"

#include <simdjson.h>

#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// Shallower than the Swift reader's limit of 128 levels, so a document simdjson accepts is never one the Swift
// reader would reject for its depth.
constexpr size_t kMaxDepth = 100;

struct Node {
    int32_t slot = -1;
    std::vector<std::pair<std::string, int32_t>> edges;
};

struct State {
    simdjson::dom::parser parser;
    std::vector<uint8_t> padded;
    std::vector<eqls_token> tokens;

    State() { (void)parser.allocate(64 * 1024, kMaxDepth); }
};

State &thread_state() {
    thread_local State state;
    return state;
}

}  // namespace

struct eqls_fields {
    std::vector<Node> nodes;

    int32_t child(int32_t node, std::string_view segment) const {
        for (const auto &edge : nodes[node].edges) {
            if (edge.first == segment) return edge.second;
        }
        return -1;
    }

    // Follows a key that may itself hold dots ("process.name") one segment at a time.
    int32_t descend(int32_t node, std::string_view key) const {
        size_t start = 0;
        while (true) {
            size_t dot = key.find('.', start);
            std::string_view segment = key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
            node = child(node, segment);
            if (node < 0 || dot == std::string_view::npos) return node;
            start = dot + 1;
        }
    }
};

namespace {

struct Walker {
    const eqls_fields &fields;
    std::vector<eqls_token> &tokens;

    void emit(int32_t kind, int32_t slot) { tokens.push_back(eqls_token{kind, slot, 0, 0, nullptr}); }

    void emit_scalar(int32_t slot, simdjson::dom::element element) {
        eqls_token token{EQLS_TOKEN_NULL, slot, 0, 0, nullptr};
        switch (element.type()) {
        case simdjson::dom::element_type::STRING: {
            std::string_view text = element.get_string().value_unsafe();
            token.kind = EQLS_TOKEN_STRING;
            token.text = text.data();
            token.integer = static_cast<int64_t>(text.size());
            break;
        }
        case simdjson::dom::element_type::INT64: {
            int64_t value = element.get_int64().value_unsafe();
            // The Swift reader accumulates digits as a positive Int64, so its smallest integer reads as a double.
            if (value == std::numeric_limits<int64_t>::min()) {
                token.kind = EQLS_TOKEN_DOUBLE;
                token.number = static_cast<double>(value);
            } else {
                token.kind = EQLS_TOKEN_INTEGER;
                token.integer = value;
            }
            break;
        }
        case simdjson::dom::element_type::UINT64:
            token.kind = EQLS_TOKEN_DOUBLE;
            token.number = static_cast<double>(element.get_uint64().value_unsafe());
            break;
        case simdjson::dom::element_type::DOUBLE:
            token.kind = EQLS_TOKEN_DOUBLE;
            token.number = element.get_double().value_unsafe();
            break;
        case simdjson::dom::element_type::BOOL:
            token.kind = EQLS_TOKEN_BOOL;
            token.integer = element.get_bool().value_unsafe() ? 1 : 0;
            break;
        default:
            break;
        }
        tokens.push_back(token);
    }

    void object(int32_t node, simdjson::dom::object members) {
        for (auto member : members) {
            int32_t child = fields.descend(node, member.key);
            if (child >= 0) wanted(child, member.value);
        }
    }

    void wanted(int32_t node, simdjson::dom::element value) {
        const Node &info = fields.nodes[node];
        switch (value.type()) {
        case simdjson::dom::element_type::OBJECT:
            if (!info.edges.empty()) {
                object(node, value.get_object().value_unsafe());
            } else if (info.slot >= 0) {
                emit(EQLS_TOKEN_OBJECT, info.slot);
            }
            break;
        case simdjson::dom::element_type::ARRAY:
            if (info.slot >= 0) emit(EQLS_TOKEN_ARRAY_BEGIN, info.slot);
            array(node, value.get_array().value_unsafe(), info.slot >= 0);
            if (info.slot >= 0) emit(EQLS_TOKEN_ARRAY_END, info.slot);
            break;
        default:
            if (info.slot >= 0) emit_scalar(info.slot, value);
        }
    }

    // Scalars are collected into the open array, nested arrays flattened; objects are descended into.
    void array(int32_t node, simdjson::dom::array items, bool collect) {
        bool has_children = !fields.nodes[node].edges.empty();
        for (auto item : items) {
            switch (item.type()) {
            case simdjson::dom::element_type::ARRAY:
                array(node, item.get_array().value_unsafe(), collect);
                break;
            case simdjson::dom::element_type::OBJECT:
                if (has_children) object(node, item.get_object().value_unsafe());
                break;
            default:
                if (collect) emit_scalar(-1, item);
            }
        }
    }
};

}  // namespace

extern "C" eqls_fields *eqls_fields_create(const char *const *names, size_t count) {
    auto *fields = new eqls_fields();
    fields->nodes.emplace_back();
    for (size_t index = 0; index < count; index++) {
        std::string_view name(names[index]);
        int32_t node = 0;
        size_t start = 0;
        while (true) {
            size_t dot = name.find('.', start);
            std::string segment(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
            int32_t next = fields->child(node, segment);
            if (next < 0) {
                next = static_cast<int32_t>(fields->nodes.size());
                fields->nodes.emplace_back();
                fields->nodes[node].edges.emplace_back(segment, next);
            }
            node = next;
            if (dot == std::string_view::npos) break;
            start = dot + 1;
        }
        fields->nodes[node].slot = static_cast<int32_t>(index);
    }
    return fields;
}

extern "C" void eqls_fields_destroy(eqls_fields *fields) { delete fields; }

extern "C" int eqls_decode(const eqls_fields *fields, const uint8_t *data, size_t length, const eqls_token **tokens,
                           size_t *count) {
    State &state = thread_state();
    if (state.padded.size() < length + simdjson::SIMDJSON_PADDING) {
        state.padded.resize(length + simdjson::SIMDJSON_PADDING);
    }
    if (length > 0) std::memcpy(state.padded.data(), data, length);
    simdjson::dom::element root;
    if (state.parser.parse(state.padded.data(), length, false).get(root) != simdjson::SUCCESS) return 1;
    simdjson::dom::object members;
    if (root.get_object().get(members) != simdjson::SUCCESS) return 2;
    state.tokens.clear();
    Walker walker{*fields, state.tokens};
    walker.object(0, members);
    *tokens = state.tokens.data();
    *count = state.tokens.size();
    return 0;
}
