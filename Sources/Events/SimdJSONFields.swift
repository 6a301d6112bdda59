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
        var pointers = names.map { strdup($0) }
        defer { for pointer in pointers { free(pointer) } }
        handle = pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { names in
                eqls_fields_create(names.baseAddress, names.count)
            }
        }
    }

    deinit {
        eqls_fields_destroy(handle)
    }

    /// Returns the slot values and the slots that held objects, or `nil` when simdjson declined the message.
    func decode(_ message: UnsafeRawBufferPointer, slotCount: Int) -> (slots: [EQLValue?], objectSlots: [Int])? {
        var tokens: UnsafePointer<eqls_token>?
        var count = 0
        let status = eqls_decode(
            handle, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, &tokens, &count)
        guard status == 0 else { return nil }
        var slots = [EQLValue?](repeating: nil, count: slotCount)
        var objectSlots: [Int] = []
        var openArrays: [[EQLValue]] = []
        for index in 0..<count {
            let token = tokens![index]
            let slot = Int(token.slot)
            let value: EQLValue
            switch Int(token.kind) {
            case Int(EQLS_TOKEN_ARRAY_BEGIN):
                openArrays.append([])
                continue
            case Int(EQLS_TOKEN_ARRAY_END):
                JSONScanner.store(.array(openArrays.removeLast()), at: slot, in: &slots)
                continue
            case Int(EQLS_TOKEN_OBJECT):
                objectSlots.append(slot)
                continue
            case Int(EQLS_TOKEN_STRING):
                let bytes = UnsafeRawBufferPointer(start: token.text, count: Int(token.integer))
                value = .string(String(decoding: bytes, as: UTF8.self))
            case Int(EQLS_TOKEN_INTEGER):
                value = .integer(token.integer)
            case Int(EQLS_TOKEN_DOUBLE):
                value = .double(token.number)
            case Int(EQLS_TOKEN_BOOL):
                value = .bool(token.integer != 0)
            default:
                value = .null
            }
            if slot < 0 {
                openArrays[openArrays.count - 1].append(value)
            } else {
                JSONScanner.store(value, at: slot, in: &slots)
            }
        }
        return (slots, objectSlots)
    }
}
