/// An event document read into a flat index of byte ranges, for building alerts without a tree of values.
///
/// The index accepts only documents whose values ``JSONValue`` writes back byte for byte: valid UTF-8 text, object
/// keys of ASCII without escapes, escapes in the form ``JSONValue/writeString(_:to:)`` produces, and integers of at
/// most 18 digits in their shortest form. Whitespace, key order and repeated keys may differ, because the index sorts each
/// object's keys and keeps the last of a repeated key, as ``JSONValue/parse(bytes:replacingUnpairedSurrogates:)``
/// does. For any other document the initialiser returns `nil` and the caller takes the tree path, so both paths
/// write the same bytes.
final class CanonicalJSON {
    enum Kind: UInt8 {
        case object, array, string, scalar
    }

    /// A value: a leaf's byte range, or a container's children in ``members``.
    struct Node {
        var kind: Kind
        var start: Int32
        var end: Int32
    }

    /// An object member (key range without its quotes) or an array item (empty key range).
    struct Member {
        var keyStart: Int32
        var keyEnd: Int32
        var value: Int32
    }

    // Plain buffers rather than arrays: alert building walks them in tight loops, and buffers need no reference
    // counting on each access.
    let bytes: UnsafeMutableBufferPointer<UInt8>
    let nodes: UnsafeMutableBufferPointer<Node>
    let members: UnsafeMutableBufferPointer<Member>

    static let maxDepth = 512

    init?(_ raw: [UInt8]) {
        // Offsets are 32-bit, so a document that does not fit takes the tree path.
        guard raw.count < Int(Int32.max) else { return nil }
        var builder = Builder()
        let root = raw.withUnsafeBufferPointer { buffer -> Int32? in
            builder.text = buffer
            builder.skipWhitespace()
            guard let root = builder.value(depth: 0) else { return nil }
            builder.skipWhitespace()
            return builder.index == buffer.count ? root : nil
        }
        guard let root, builder.nodes[Int(root)].kind == .object else { return nil }
        bytes = .allocate(capacity: raw.count)
        _ = bytes.initialize(from: raw)
        nodes = .allocate(capacity: builder.nodes.count)
        _ = nodes.initialize(from: builder.nodes)
        members = .allocate(capacity: builder.members.count)
        _ = members.initialize(from: builder.members)
    }

    deinit {
        bytes.deallocate()
        nodes.deallocate()
        members.deallocate()
    }

    /// The root object, always the last node written.
    var root: Int32 { Int32(nodes.count - 1) }

    func kind(_ node: Int32) -> Kind { nodes[Int(node)].kind }

    func children(of node: Int32) -> UnsafeMutableBufferPointer<Member> {
        let value = nodes[Int(node)]
        return UnsafeMutableBufferPointer(rebasing: members[Int(value.start)..<Int(value.end)])
    }

    func key(_ member: Member) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(member.keyStart)..<Int(member.keyEnd)])
    }

    func leaf(_ node: Int32) -> UnsafeBufferPointer<UInt8> {
        let value = nodes[Int(node)]
        return UnsafeBufferPointer(rebasing: bytes[Int(value.start)..<Int(value.end)])
    }

    /// Returns the value of member `name` of object `node`, or `nil`. Keys are sorted, so this is a binary search.
    func member<Name: Collection<UInt8>>(of node: Int32, named name: Name) -> Int32? {
        guard nodes[Int(node)].kind == .object else { return nil }
        let members = children(of: node)
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            let key = key(members[middle])
            if key.elementsEqual(name) { return members[middle].value }
            if key.lexicographicallyPrecedes(name) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return nil
    }

    /// Follows `path` split at dots through nested objects.
    func value(at path: String) -> Int32? {
        var current: Int32? = root
        for part in path.split(separator: ".") {
            guard let node = current else { return nil }
            current = member(of: node, named: part.utf8)
        }
        return current
    }

    /// Returns the text of a string leaf.
    func string(_ node: Int32?) -> String? {
        guard let node, nodes[Int(node)].kind == .string else { return nil }
        // A string node's range includes its quotes, so it reads as a JSON document of its own.
        return (try? JSONValue.parse(bytes: UnsafeRawBufferPointer(leaf(node))))?.stringValue
    }

    /// Appends the value as ``JSONValue/write(to:)`` would write its parsed form.
    func write(_ node: Int32, to output: inout [UInt8]) {
        let value = nodes[Int(node)]
        switch value.kind {
        case .string, .scalar:
            output.append(contentsOf: leaf(node))
        case .array:
            output.append(UInt8(ascii: "["))
            for (index, item) in children(of: node).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(item.value, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object:
            output.append(UInt8(ascii: "{"))
            for (index, member) in children(of: node).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeKey(member, to: &output)
                write(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `"key":`.
    func writeKey(_ member: Member, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        output.append(contentsOf: key(member))
        output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// Returns whether value `node` equals value `other` of document `document`, as ``JSONValue``'s `==` decides.
    /// Leaves are in their written form, and strings compare as bytes, so equal leaves have equal bytes.
    func equals(_ node: Int32, _ document: CanonicalJSON, _ other: Int32) -> Bool {
        let left = nodes[Int(node)]
        let right = document.nodes[Int(other)]
        guard left.kind == right.kind else { return false }
        switch left.kind {
        case .string, .scalar:
            return leaf(node).elementsEqual(document.leaf(other))
        case .array, .object:
            let mine = children(of: node)
            let theirs = document.children(of: other)
            guard mine.count == theirs.count else { return false }
            for index in 0..<mine.count {
                let lhs = mine[index]
                let rhs = theirs[index]
                if left.kind == .object, !key(lhs).elementsEqual(document.key(rhs)) { return false }
                if !equals(lhs.value, document, rhs.value) { return false }
            }
            return true
        }
    }
}

extension CanonicalJSON {
    /// Reads a document into nodes and members in one pass. Any value outside the accepted forms gives `nil`.
    private struct Builder {
        var text = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var index = 0
        var nodes: [Node] = []
        var members: [Member] = []
        /// Members of the containers being read, innermost last. Each container moves its own to ``members``.
        var pending: [(member: Member, position: Int)] = []

        init() {
            nodes.reserveCapacity(128)
            members.reserveCapacity(128)
            pending.reserveCapacity(64)
        }

        mutating func skipWhitespace() {
            while index < text.count {
                switch text[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func add(_ kind: Kind, _ start: Int, _ end: Int) -> Int32 {
            nodes.append(Node(kind: kind, start: Int32(start), end: Int32(end)))
            return Int32(nodes.count - 1)
        }

        mutating func value(depth: Int) -> Int32? {
            guard depth < CanonicalJSON.maxDepth, index < text.count else { return nil }
            let start = index
            switch text[index] {
            case UInt8(ascii: "{"): return container(object: true, depth: depth)
            case UInt8(ascii: "["): return container(object: false, depth: depth)
            case UInt8(ascii: "\""):
                guard string(allowingEscapes: true) else { return nil }
                return add(.string, start, index)
            case UInt8(ascii: "t"): return literal("true", start)
            case UInt8(ascii: "f"): return literal("false", start)
            case UInt8(ascii: "n"): return literal("null", start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard integer() else { return nil }
                return add(.scalar, start, index)
            default: return nil
            }
        }

        mutating func literal(_ word: StaticString, _ start: Int) -> Int32? {
            let count = word.utf8CodeUnitCount
            guard index + count <= text.count else { return nil }
            for offset in 0..<count where text[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return add(.scalar, start, index)
        }

        /// Reads an integer in the form `String(Int64)` writes: no leading zeros, no `-0`, and at most 18 digits so
        /// that it fits.
        mutating func integer() -> Bool {
            let negative = text[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let digits = index
            while index < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) { index += 1 }
            let count = index - digits
            guard count >= 1, count <= 18 else { return false }
            if text[digits] == UInt8(ascii: "0"), count > 1 || negative { return false }
            if index < text.count {
                switch text[index] {
                case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return false
                default: break
                }
            }
            return true
        }

        /// Reads a string of valid UTF-8 whose escapes are the ones the alert writer produces, and returns whether
        /// it was read. Keys must be ASCII without escapes, so their byte order is their text order.
        mutating func string(allowingEscapes: Bool) -> Bool {
            let start = index
            var ascii = true
            index += 1
            while index < text.count {
                let byte = text[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    // Only text with non-ASCII bytes can be invalid UTF-8.
                    return ascii || String(validating: UnsafeBufferPointer(rebasing: text[start + 1..<index - 1]),
                                           as: UTF8.self) != nil
                }
                if byte < 0x20 { return false }
                if byte >= 0x80 {
                    guard allowingEscapes else { return false }
                    ascii = false
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: "\\") {
                    guard allowingEscapes, index + 1 < text.count else { return false }
                    switch text[index + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 2
                    case UInt8(ascii: "u"):
                        // Only a control character other than tab, newline and return, in lowercase hex.
                        guard index + 6 <= text.count, text[index + 2] == UInt8(ascii: "0"),
                            text[index + 3] == UInt8(ascii: "0")
                        else { return false }
                        let high = text[index + 4]
                        let low = text[index + 5]
                        guard high == UInt8(ascii: "0") || high == UInt8(ascii: "1") else { return false }
                        let lowValue: UInt8
                        switch low {
                        case UInt8(ascii: "0")...UInt8(ascii: "9"): lowValue = low - UInt8(ascii: "0")
                        case UInt8(ascii: "a")...UInt8(ascii: "f"): lowValue = low - UInt8(ascii: "a") + 10
                        default: return false
                        }
                        let code = (high - UInt8(ascii: "0")) << 4 | lowValue
                        if code == 0x09 || code == 0x0A || code == 0x0D { return false }
                        index += 6
                    default:
                        return false
                    }
                    continue
                }
                index += 1
            }
            return false
        }

        mutating func container(object: Bool, depth: Int) -> Int32? {
            index += 1
            let mark = pending.count
            skipWhitespace()
            let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
            if index < text.count, text[index] == close {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    var keyStart: Int32 = 0
                    var keyEnd: Int32 = 0
                    if object {
                        keyStart = Int32(index + 1)
                        guard index < text.count, text[index] == UInt8(ascii: "\""),
                            string(allowingEscapes: false)
                        else { return nil }
                        keyEnd = Int32(index - 1)
                        skipWhitespace()
                        guard index < text.count, text[index] == UInt8(ascii: ":") else { return nil }
                        index += 1
                        skipWhitespace()
                    }
                    guard let item = value(depth: depth + 1) else { return nil }
                    pending.append((Member(keyStart: keyStart, keyEnd: keyEnd, value: item), pending.count - mark))
                    skipWhitespace()
                    guard index < text.count else { return nil }
                    if text[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard text[index] == close else { return nil }
                    index += 1
                    break
                }
            }
            let first = members.count
            if object {
                appendSortedMembers(from: mark)
            } else {
                members.append(contentsOf: pending[mark...].map(\.member))
            }
            pending.removeSubrange(mark...)
            return add(object ? .object : .array, first, members.count)
        }

        func keyPrecedes(_ lhs: Member, _ rhs: Member) -> Bool {
            let left = UnsafeBufferPointer(rebasing: text[Int(lhs.keyStart)..<Int(lhs.keyEnd)])
            let right = UnsafeBufferPointer(rebasing: text[Int(rhs.keyStart)..<Int(rhs.keyEnd)])
            return left.lexicographicallyPrecedes(right)
        }

        func keysEqual(_ lhs: Member, _ rhs: Member) -> Bool {
            let left = UnsafeBufferPointer(rebasing: text[Int(lhs.keyStart)..<Int(lhs.keyEnd)])
            let right = UnsafeBufferPointer(rebasing: text[Int(rhs.keyStart)..<Int(rhs.keyEnd)])
            return left.elementsEqual(right)
        }

        /// Moves an object's pending members to ``members`` in key order, the last of a repeated key winning.
        mutating func appendSortedMembers(from mark: Int) {
            let own = pending[mark...]
            if zip(own, own.dropFirst()).allSatisfy({ keyPrecedes($0.member, $1.member) }) {
                members.append(contentsOf: own.map(\.member))
                return
            }
            let sorted = own.sorted { lhs, rhs in
                keyPrecedes(lhs.member, rhs.member)
                    || (keysEqual(lhs.member, rhs.member) && lhs.position < rhs.position)
            }
            let first = members.count
            for entry in sorted {
                if members.count > first, keysEqual(members[members.count - 1], entry.member) {
                    members[members.count - 1] = entry.member
                } else {
                    members.append(entry.member)
                }
            }
        }
    }
}
