import CSimdJSON
import EQL

#if canImport(Glibc)
import Glibc
#endif

/// The wanted field paths in simdjson's walker, which parses a message with simdjson and reports the values on
/// those paths.
///
/// The walker keeps its parser and its tokens per thread, so one instance serves every lane. It yields exactly
/// what ``JSONScanner`` yields for the documents it accepts, and declines every other document.
final class SimdJSONFields: @unchecked Sendable {
    private let handle: OpaquePointer

    init(names: [String]) {
        let copies = CStringCopies(names)
        defer { copies.deallocate() }
        handle = copies.pointers.withUnsafeBufferPointer { pointers in
            eqls_fields_create(pointers.baseAddress, copies.lengths, pointers.count)
        }
    }

    deinit {
        eqls_fields_destroy(handle)
    }

    /// Parses `message` and returns its wanted values as tokens, or `nil` when simdjson declined the message.
    ///
    /// The view reads memory that the calling thread's next parse reuses, so it must not outlive that.
    func parse(_ message: UnsafeRawBufferPointer) -> TokenView? {
        var tokens: UnsafePointer<eqls_token>?
        var count = 0
        let status = eqls_decode(
            handle, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, &tokens, &count)
        guard status == 0 else { return nil }
        return TokenView(tokens: tokens, count: count)
    }
}

/// The wanted values of one parsed message, as the walker's tokens. Reading a slot builds its value from the
/// tokens, so a rule that reads few fields builds few values.
struct TokenView: FieldSource {
    let tokens: UnsafePointer<eqls_token>?
    let count: Int

    /// Returns the value at `wanted`, merged as the Swift reader merges repeated keys; `nil` when absent.
    func value(atSlot wanted: Int) -> EQLValue? {
        var result: EQLValue?
        var depth = 0
        // The array depth at which the wanted slot's array is open, or -1.
        var collectingAt = -1
        var items: [EQLValue] = []
        for index in 0..<count {
            let token = tokens![index]
            let slot = Int(token.slot)
            switch Int(token.kind) {
            case Int(EQLS_TOKEN_ARRAY_BEGIN):
                depth += 1
                if slot == wanted {
                    collectingAt = depth
                    items = []
                }
            case Int(EQLS_TOKEN_ARRAY_END):
                if slot == wanted && collectingAt == depth {
                    JSONScanner.merge(.array(items), into: &result)
                    collectingAt = -1
                }
                depth -= 1
            case Int(EQLS_TOKEN_OBJECT):
                break
            default:
                if slot == wanted {
                    JSONScanner.merge(Self.scalar(token), into: &result)
                } else if slot < 0 && collectingAt == depth {
                    items.append(Self.scalar(token))
                }
            }
        }
        return result
    }

    /// Returns the bytes of `slot`'s value, read in place, when the value is one string; `nil` otherwise.
    func soleString(atSlot slot: Int) -> UnsafeRawBufferPointer? {
        var found: UnsafeRawBufferPointer?
        for index in 0..<count where Int(tokens![index].slot) == slot {
            let token = tokens![index]
            guard found == nil, token.kind == EQLS_TOKEN_STRING else { return nil }
            found = UnsafeRawBufferPointer(start: token.text, count: Int(token.integer))
        }
        return found
    }

    /// Returns whether the message has an object where `slot`'s field is.
    func holdsObject(atSlot slot: Int) -> Bool {
        (0..<count).contains { tokens![$0].kind == EQLS_TOKEN_OBJECT && Int(tokens![$0].slot) == slot }
    }

    /// Returns the values of all `slotCount` slots.
    func allSlots(count slotCount: Int) -> [EQLValue?] {
        var slots = [EQLValue?](repeating: nil, count: slotCount)
        var openArrays: [[EQLValue]] = []
        for index in 0..<count {
            let token = tokens![index]
            let slot = Int(token.slot)
            switch Int(token.kind) {
            case Int(EQLS_TOKEN_ARRAY_BEGIN):
                openArrays.append([])
            case Int(EQLS_TOKEN_ARRAY_END):
                JSONScanner.merge(.array(openArrays.removeLast()), into: &slots[slot])
            case Int(EQLS_TOKEN_OBJECT):
                break
            default:
                if slot < 0 {
                    openArrays[openArrays.count - 1].append(Self.scalar(token))
                } else {
                    JSONScanner.merge(Self.scalar(token), into: &slots[slot])
                }
            }
        }
        return slots
    }

    private static func scalar(_ token: eqls_token) -> EQLValue {
        switch Int(token.kind) {
        case Int(EQLS_TOKEN_STRING):
            return .string(String(decoding: UnsafeRawBufferPointer(start: token.text, count: Int(token.integer)), as: UTF8.self))
        case Int(EQLS_TOKEN_INTEGER):
            return .integer(token.integer)
        case Int(EQLS_TOKEN_DOUBLE):
            return .double(token.number)
        case Int(EQLS_TOKEN_BOOL):
            return .bool(token.integer != 0)
        default:
            return .null
        }
    }
}

/// The rules' filter requirements in the C++ walker's form, tested on a parsed message's tokens before any field
/// value is built.
final class EventScreen: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Returns `nil` when some filter has no requirement, since then no event can be set aside.
    init?(requirements: [Requirement]) {
        guard !requirements.contains(.anything) else { return nil }
        handle = eqls_screen_create()
        for requirement in requirements {
            var program: [Int32] = []
            encode(requirement, into: &program)
            let status = program.withUnsafeBufferPointer { eqls_screen_add_filter(handle, $0.baseAddress, $0.count) }
            precondition(status == 0, "the requirement program is malformed")
        }
    }

    deinit {
        eqls_screen_destroy(handle)
    }

    /// Returns whether no filter can match the message that `view` contains.
    func rejects(_ view: TokenView) -> Bool {
        eqls_screen_rejects(handle, view.tokens, view.count) != 0
    }

    private func encode(_ requirement: Requirement, into program: inout [Int32]) {
        switch requirement {
        case .anything:
            program.append(Int32(EQLS_REQUIRE_ANYTHING))
        case .all(let parts), .any(let parts):
            if case .all = requirement {
                program.append(Int32(EQLS_REQUIRE_ALL))
            } else {
                program.append(Int32(EQLS_REQUIRE_ANY))
            }
            program.append(Int32(parts.count))
            for part in parts { encode(part, into: &program) }
        case .oneOf(let slot, let values, let ignoringCase):
            let copies = CStringCopies(values)
            defer { copies.deallocate() }
            let atom = copies.pointers.withUnsafeBufferPointer { pointers in
                eqls_screen_add_atom(handle, Int32(slot), ignoringCase ? 1 : 0, pointers.baseAddress, copies.lengths, pointers.count)
            }
            program.append(Int32(EQLS_REQUIRE_ONE_OF))
            program.append(atom)
        }
    }
}

/// Copies of strings for the C++ walker, each with its length in bytes, because a string may contain a NUL and so
/// cannot pass as a C string.
private struct CStringCopies {
    let pointers: [UnsafePointer<CChar>?]
    let lengths: [Int]

    init(_ strings: [String]) {
        var pointers: [UnsafePointer<CChar>?] = []
        for string in strings {
            let bytes = Array(string.utf8)
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            for (index, byte) in bytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
            pointers.append(UnsafePointer(copy))
        }
        self.pointers = pointers
        self.lengths = strings.map { $0.utf8.count }
    }

    func deallocate() {
        for pointer in pointers { pointer.map { UnsafeMutablePointer(mutating: $0).deallocate() } }
    }
}
