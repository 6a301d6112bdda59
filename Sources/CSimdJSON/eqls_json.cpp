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
    // Bit b is set when some edge's name starts with a byte whose low six bits are b, so that most keys that lead
    // nowhere are turned away on their first byte.
    uint64_t first_bytes = 0;
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
            if (edge.first.size() == segment.size() && edge.first == segment) return edge.second;
        }
        return -1;
    }

    // Follows a key that may itself hold dots ("process.name") one segment at a time.
    int32_t descend(int32_t node, std::string_view key) const {
        if (key.empty() || !(nodes[node].first_bytes >> (static_cast<unsigned char>(key[0]) & 63) & 1)) {
            return key.empty() ? child(node, key) : -1;
        }
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

extern "C" eqls_fields *eqls_fields_create(const char *const *names, const size_t *lengths, size_t count) {
    auto *fields = new eqls_fields();
    fields->nodes.emplace_back();
    for (size_t index = 0; index < count; index++) {
        std::string_view name(names[index], lengths[index]);
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
                // A key reaches an empty segment when it starts with the dot that ends that segment.
                unsigned char first = segment.empty() ? '.' : static_cast<unsigned char>(segment[0]);
                fields->nodes[node].first_bytes |= uint64_t{1} << (first & 63);
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

namespace {

struct Atom {
    int32_t slot;
    bool ignoring_case;
    std::vector<std::string> values;

    bool matches(const eqls_token &token) const {
        const char *text = token.text;
        size_t length = static_cast<size_t>(token.integer);
        if (ignoring_case) {
            for (size_t index = 0; index < length; index++) {
                // Case folding beyond ASCII is not byte by byte, so such a string may match.
                if (static_cast<unsigned char>(text[index]) >= 0x80) return true;
            }
        }
        for (const auto &value : values) {
            if (value.size() != length) continue;
            if (!ignoring_case) {
                if (std::memcmp(value.data(), text, length) == 0) return true;
                continue;
            }
            size_t index = 0;
            while (index < length) {
                unsigned char byte = static_cast<unsigned char>(text[index]);
                if (byte >= 'A' && byte <= 'Z') byte = static_cast<unsigned char>(byte + 32);
                if (byte != static_cast<unsigned char>(value[index])) break;
                index++;
            }
            if (index == length) return true;
        }
        return false;
    }

    // Whether any string of the field, alone or in its array, matches. Array elements carry slot -1 and belong to
    // the innermost open array, so the walk tracks the depth at which this field's array is open.
    bool may_hold(const eqls_token *tokens, size_t count) const {
        int depth = 0;
        int collecting_at = -1;
        for (size_t index = 0; index < count; index++) {
            const eqls_token &token = tokens[index];
            switch (token.kind) {
            case EQLS_TOKEN_ARRAY_BEGIN:
                depth++;
                if (token.slot == slot) collecting_at = depth;
                break;
            case EQLS_TOKEN_ARRAY_END:
                if (token.slot == slot && collecting_at == depth) collecting_at = -1;
                depth--;
                break;
            case EQLS_TOKEN_STRING:
                if ((token.slot == slot || (token.slot < 0 && collecting_at == depth)) && matches(token)) return true;
                break;
            default:
                break;
            }
        }
        return false;
    }
};

struct Requirement {
    int32_t kind = EQLS_REQUIRE_ANYTHING;
    int32_t atom = -1;
    std::vector<Requirement> parts;
};

// Reads one tree from `program` at `position`; returns false when the program is malformed.
bool read_requirement(const int32_t *program, size_t length, size_t &position, size_t atoms, int depth,
                      Requirement &out) {
    if (position >= length || depth > 64) return false;
    out.kind = program[position++];
    switch (out.kind) {
    case EQLS_REQUIRE_ANYTHING:
        return true;
    case EQLS_REQUIRE_ONE_OF:
        if (position >= length) return false;
        out.atom = program[position++];
        return out.atom >= 0 && static_cast<size_t>(out.atom) < atoms;
    case EQLS_REQUIRE_ALL:
    case EQLS_REQUIRE_ANY: {
        if (position >= length || program[position] < 0) return false;
        int32_t count = program[position++];
        out.parts.resize(static_cast<size_t>(count));
        for (auto &part : out.parts) {
            if (!read_requirement(program, length, position, atoms, depth + 1, part)) return false;
        }
        return true;
    }
    default:
        return false;
    }
}

}  // namespace

struct eqls_screen {
    std::vector<Atom> atoms;
    std::vector<Requirement> filters;

    bool may_meet(const Requirement &requirement, const eqls_token *tokens, size_t count) const {
        switch (requirement.kind) {
        case EQLS_REQUIRE_ONE_OF:
            return atoms[static_cast<size_t>(requirement.atom)].may_hold(tokens, count);
        case EQLS_REQUIRE_ALL:
            for (const auto &part : requirement.parts) {
                if (!may_meet(part, tokens, count)) return false;
            }
            return true;
        case EQLS_REQUIRE_ANY:
            for (const auto &part : requirement.parts) {
                if (may_meet(part, tokens, count)) return true;
            }
            return false;
        default:
            return true;
        }
    }
};

extern "C" eqls_screen *eqls_screen_create(void) { return new eqls_screen(); }

extern "C" void eqls_screen_destroy(eqls_screen *screen) { delete screen; }

extern "C" int32_t eqls_screen_add_atom(eqls_screen *screen, int32_t slot, int ignoring_case, const char *const *values,
                                        const size_t *lengths, size_t count) {
    Atom atom{slot, ignoring_case != 0, {}};
    for (size_t index = 0; index < count; index++) atom.values.emplace_back(values[index], lengths[index]);
    screen->atoms.push_back(std::move(atom));
    return static_cast<int32_t>(screen->atoms.size() - 1);
}

extern "C" int eqls_screen_add_filter(eqls_screen *screen, const int32_t *program, size_t length) {
    Requirement requirement;
    size_t position = 0;
    if (!read_requirement(program, length, position, screen->atoms.size(), 0, requirement) || position != length) {
        return -1;
    }
    screen->filters.push_back(std::move(requirement));
    return 0;
}

extern "C" int eqls_screen_rejects(const eqls_screen *screen, const eqls_token *tokens, size_t count) {
    for (const auto &filter : screen->filters) {
        if (screen->may_meet(filter, tokens, count)) return 0;
    }
    return 1;
}
