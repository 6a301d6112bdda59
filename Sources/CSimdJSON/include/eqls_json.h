// A C interface to simdjson for the event decoder: one DOM parse per message, then a walk that visits only the
// object keys on wanted field paths and reports their values as a flat list of tokens.
#ifndef EQLS_JSON_H
#define EQLS_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Token kinds, in the order the walk meets them.
enum {
    EQLS_TOKEN_NULL = 0,
    EQLS_TOKEN_BOOL = 1,
    EQLS_TOKEN_INTEGER = 2,
    EQLS_TOKEN_DOUBLE = 3,
    EQLS_TOKEN_STRING = 4,
    /// An array under a wanted path begins: scalar tokens with slot -1 belong to it until its end.
    EQLS_TOKEN_ARRAY_BEGIN = 5,
    EQLS_TOKEN_ARRAY_END = 6,
    /// A wanted leaf held an object.
    EQLS_TOKEN_OBJECT = 7,
};

typedef struct eqls_token {
    int32_t kind;
    /// The field's slot, or -1 for an element of the innermost open array.
    int32_t slot;
    /// The integer, the boolean (0 or 1), or the string's length in bytes.
    int64_t integer;
    double number;
    /// The string's UTF-8 bytes, valid until the next decode on the same thread.
    const char *text;
} eqls_token;

typedef struct eqls_fields eqls_fields;

/// Builds the field-path tree for `count` dotted names; name i fills slot i.
/// Names are given with their lengths in bytes, so a name may contain a NUL.
eqls_fields *eqls_fields_create(const char *const *names, const size_t *lengths, size_t count);
void eqls_fields_destroy(eqls_fields *fields);

/// Parses one message and walks it. Returns 0 and sets `tokens` and `count` when the message is a JSON object that
/// simdjson accepts. Any other result means the caller must decide with its own reader: invalid JSON, a root that
/// is not an object, nesting past the walk's limit, or numbers beyond 64 bits. Tokens live in thread-local storage.
int eqls_decode(const eqls_fields *fields, const uint8_t *data, size_t length, const eqls_token **tokens,
                size_t *count);

/// A screen: requirements that events must meet for any rule's filter to match them, tested on the tokens of a
/// decode. Each filter's requirement is a tree in prefix form:
///   EQLS_REQUIRE_ANYTHING
///   EQLS_REQUIRE_ALL n, then n trees
///   EQLS_REQUIRE_ANY n, then n trees
///   EQLS_REQUIRE_ONE_OF atom, an index returned by eqls_screen_add_atom
enum {
    EQLS_REQUIRE_ANYTHING = 0,
    EQLS_REQUIRE_ALL = 1,
    EQLS_REQUIRE_ANY = 2,
    EQLS_REQUIRE_ONE_OF = 3,
};

typedef struct eqls_screen eqls_screen;

eqls_screen *eqls_screen_create(void);
void eqls_screen_destroy(eqls_screen *screen);
/// Adds "the field in `slot` holds a string equal to one of `values`" and returns its index. With
/// `ignoring_case`, the values must be lowercase ASCII; a string with other bytes always meets it.
int32_t eqls_screen_add_atom(eqls_screen *screen, int32_t slot, int ignoring_case, const char *const *values,
                             const size_t *lengths, size_t count);
/// Adds one filter's requirement tree. Returns 0, or -1 when the program is malformed.
int eqls_screen_add_filter(eqls_screen *screen, const int32_t *program, size_t length);
/// Returns 1 when the tokens meet no filter's requirement, so that no filter can match the event, and 0 otherwise.
int eqls_screen_rejects(const eqls_screen *screen, const eqls_token *tokens, size_t count);

#ifdef __cplusplus
}
#endif

#endif
