"""The queries the differential test runs through both engines.

Each entry is (id, query, note), or (id, query, note, options) where options set the rule's
`tiebreaker_field` or `timestamp_override`. A note marks a query whose answer the reference engine cannot decide for
Elasticsearch; the note names the Elasticsearch source that decides it, and the harness then checks the
engine against that rule instead of against the reference.
"""

QUERIES = [
    # Equality, wildcards and lists.
    ("eq-wildcard", 'process where process.name : "expand.exe"', None),
    ("eq-wildcard-list", 'process where process.name : ("expand.exe", "MAKECAB.EXE")', None),
    ("eq-wildcard-star", 'process where process.name : "*.EXE"', None),
    ("eq-wildcard-question", 'process where process.name : "exp?nd.exe"', None),
    ("eq-equal", 'process where process.name == "expand.exe"', None),
    ("eq-not-equal", 'process where process.name != "expand.exe"', None),
    ("eq-in", 'process where process.name in ("expand.exe", "cmd.exe")', None),
    ("eq-in-insensitive", 'process where process.name in~ ("EXPAND.EXE", "cmd.EXE")', "in~"),
    ("eq-not-in", 'process where process.name not in ("expand.exe", "cmd.exe")', None),
    ("eq-like", 'process where process.name like "exp*"', "like"),
    ("eq-like-insensitive", 'process where process.name like~ "EXP*.exe"', None),
    ("eq-regex", 'process where process.name regex "exp[a-z]+\\\\.exe"', "regex"),
    ("eq-regex-insensitive", 'process where process.name regex~ "EXP[A-Z]+\\\\.EXE"', "regex~"),
    ("eq-null", 'any where user.name == null', None),
    ("eq-not-null", 'any where user.name != null and event.category : "file"', None),
    # Numbers and arithmetic.
    ("num-less", "any where process.pid < 100", None),
    ("num-less-equal", "any where process.pid <= 100", None),
    ("num-greater", "any where process.pid > 4900", None),
    ("num-greater-equal", "any where process.pid >= 4900", None),
    ("num-equal", "any where process.pid == 42", None),
    ("num-add", "any where process.pid + 1 == 43", None),
    ("num-subtract", "any where process.pid - 1 > 4990", None),
    ("num-multiply", "any where process.pid * 2 < 10", None),
    ("num-modulo", "any where process.pid % 1000 == 7", None),
    ("num-negate", "any where -process.pid < -4990", None),
    ("fn-add", "any where add(process.pid, 1) == 43", None),
    ("fn-subtract", "any where subtract(process.pid, 1) == 41", None),
    ("fn-multiply", "any where multiply(process.pid, 2) == 84", None),
    ("fn-divide", "any where divide(process.pid, 4) == 10", "divide"),
    ("fn-modulo", "any where modulo(process.pid, 100) == 42", None),
    ("fn-number", 'file where number(file.size_text) > 40000', None),
    ("fn-string", 'any where string(process.pid) == "42"', None),
    # Boolean logic and missing fields.
    ("bool-and-not", 'any where user.name : "alice" and not process.name : "cmd.exe"', None),
    ("bool-or", 'any where user.name == "alice" or user.name == "bob"', None),
    ("bool-not-missing", 'file where not process.name == "cmd.exe"', None),
    ("bool-parentheses", 'any where (user.name : "bob" or process.pid < 50) and not event.type : "end"', None),
    # IP addresses.
    ("ip-not-private", 'network where not cidrmatch(destination.ip, "10.0.0.0/8", "127.0.0.0/8", "::1", "FE80::/10")', None),
    ("ip-private", 'network where cidrMatch(destination.ip, "10.0.0.0/8")', None),
    ("ip-v6-and-single", 'network where cidrmatch(destination.ip, "2001:db8::/32", "8.8.8.8")', None),
    ("ip-multicast", 'network where cidrmatch(destination.ip, "224.0.0.0/4", "FF00::/8")', None),
    # String functions.
    ("fn-concat", 'process where concat(process.name, "-", user.name) == "cmd.exe-alice"', None),
    ("fn-ends-with", 'process where endsWith(process.name, ".EXE")', "func"),
    ("fn-ends-with-insensitive", 'process where endsWith~(process.name, ".exe")', "func~"),
    ("fn-starts-with", 'process where startsWith(process.name, "exp")', "func"),
    ("fn-starts-with-insensitive", 'process where startsWith~(process.name, "EXP")', "func~"),
    ("fn-index-of", 'process where indexOf(process.name, ".") == 6', None),
    ("fn-index-of-insensitive", 'process where indexOf~(process.name, "EXE") == 7', "func~"),
    ("fn-length", "process where length(process.name) == 7", None),
    ("fn-string-contains", 'process where stringContains(process.command_line, "enc")', "func"),
    ("fn-string-contains-insensitive", 'process where stringContains~(process.command_line, "ENC")', "func~"),
    ("fn-substring", 'process where substring(process.name, 0, 3) == "exp"', None),
    ("fn-between", 'process where between(process.command_line, "-", " ") == "enc"', None),
    ("field-backquoted", 'any where `process`.`name` == "cmd.exe"', None),
    ("field-optional", 'process where ?process.title == null and process.name : "makecab.exe"', None),
    # Sequences.
    ("seq-by", 'sequence by process.entity_id [process where process.name : "expand.exe"] [network where true]', None),
    ("seq-maxspan-seconds", "sequence by process.entity_id with maxspan=1s [process where true] [network where true]", None),
    ("seq-maxspan-millis",
     'sequence by process.entity_id with maxspan=500ms [process where event.type == "start"] '
     '[network where not cidrmatch(destination.ip, "10.0.0.0/8")]', "maxspan-ms"),
    ("seq-until",
     'sequence by process.entity_id [process where event.type == "start"] [network where true] '
     'until [process where event.type == "end"]', None),
    ("seq-runs", "sequence by process.entity_id [process where true] with runs=2 [network where true]", None),
    ("seq-stage-by",
     "sequence [process where true] by process.entity_id [network where true] by process.entity_id", None),
    ("seq-three-stages",
     'sequence by user.name [process where process.name : "cmd.exe"] [file where true] [network where true]', None),
    ("seq-optional-key", "sequence by ?user.name with maxspan=2s [process where true] [network where true]", None),
    ("seq-two-keys", "sequence by process.entity_id, user.name [process where true] [network where true]", None),
    ("seq-no-key",
     'sequence with maxspan=2m [process where process.name == "expand.exe"] [network where destination.ip == "8.8.8.8"]',
     None),
    ("seq-any", 'sequence by process.entity_id [any where event.type == "start"] [any where event.type == "end"]', None),
    ("seq-maxspan-hours",
     "sequence by process.entity_id with maxspan=1h [process where true] [file where true] [network where true]", None),
    # Ordering fields.
    ("seq-tiebreaker", "sequence by process.entity_id [process where true] [network where true]", None,
     {"tiebreaker": "event.sequence"}),
    ("seq-tiebreaker-maxspan", 'sequence by user.name with maxspan=30s [process where true] [file where true]', None,
     {"tiebreaker": "event.sequence"}),
    ("seq-timestamp-override", "sequence by process.entity_id [process where true] [network where true]", None,
     {"timestamp": "event.created"}),
]
