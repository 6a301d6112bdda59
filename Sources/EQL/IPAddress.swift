/// An IPv4 or IPv6 address stored as 128 bits, with IPv4 addresses in their IPv4-mapped IPv6 form
/// (`::ffff:a.b.c.d`), so that `::ffff:10.1.2.3` and `10.1.2.3` are the same address.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The upper 64 bits in network order.
    public var high: UInt64
    /// The lower 64 bits in network order.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates the IPv4-mapped form of a 32-bit IPv4 address.
    public init(ipv4 value: UInt32) {
        self.init(high: 0, low: 0xffff_0000_0000 | UInt64(value))
    }

    /// Whether the address is an IPv4 address, which includes IPv4-mapped IPv6 addresses.
    public var isIPv4: Bool {
        high == 0 && (low >> 32) == 0xffff
    }

    public var description: String {
        if isIPv4 {
            let value = UInt32(truncatingIfNeeded: low)
            return (0..<4).map { String((value >> (24 - 8 * $0)) & 0xff) }.joined(separator: ".")
        }
        let groups = (0..<8).map { index -> UInt64 in
            let word = index < 4 ? high : low
            return (word >> (48 - 16 * UInt64(index % 4))) & 0xffff
        }
        return groups.map { String($0, radix: 16) }.joined(separator: ":")
    }

    /// Parses a dotted-quad IPv4 address or an IPv6 address in any standard notation.
    ///
    /// IPv4 needs exactly four decimal octets from 0 to 255 without leading zeros, so `010.1.2.3` is rejected.
    /// IPv6 accepts full and `::`-compressed forms, either letter case, a trailing dotted quad such as
    /// `::ffff:1.2.3.4`, and a `%scope` suffix, which is ignored. Returns `nil` for anything else.
    public static func parse<S: StringProtocol>(_ text: S) -> IPAddress? {
        let utf8 = Array(text.utf8)
        if utf8.isEmpty {
            return nil
        }
        if !utf8.contains(UInt8(ascii: ":")) {
            return parseIPv4(utf8[...]).map { IPAddress(ipv4: $0) }
        }
        var address = utf8[...]
        if let percent = address.firstIndex(of: UInt8(ascii: "%")) {
            if percent == address.index(before: address.endIndex) {
                return nil
            }
            address = address[..<percent]
        }
        return parseIPv6(address)
    }

    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octetCount = 0
        for part in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard part.count >= 1, part.count <= 3, part.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return nil
            }
            if part.count > 1 && part.first == UInt8(ascii: "0") {
                return nil
            }
            let octet = part.reduce(UInt32(0)) { $0 * 10 + UInt32($1 - 48) }
            guard octet <= 255 else {
                return nil
            }
            value = value << 8 | octet
            octetCount += 1
        }
        return octetCount == 4 ? value : nil
    }

    private static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        let colon = UInt8(ascii: ":")
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawCompression = false

        // Split around the one permitted `::`. A lone leading or trailing `:` is invalid.
        let text = Array(bytes)
        var start = 0
        var groupsBeforeCompression: ArraySlice<UInt8> = text[...]
        var groupsAfterCompression: ArraySlice<UInt8> = []
        while start + 1 < text.count {
            if text[start] == colon && text[start + 1] == colon {
                if sawCompression {
                    return nil
                }
                sawCompression = true
                groupsBeforeCompression = text[0..<start]
                groupsAfterCompression = text[(start + 2)...]
                start += 2
                continue
            }
            start += 1
        }

        guard let parsedHead = parseGroups(groupsBeforeCompression, allowsTrailingIPv4: !sawCompression) else {
            return nil
        }
        head = parsedHead
        if sawCompression {
            guard let parsedTail = parseGroups(groupsAfterCompression, allowsTrailingIPv4: true) else {
                return nil
            }
            tail = parsedTail
            if head.count + tail.count > 7 {
                return nil
            }
        } else if head.count != 8 {
            return nil
        }

        let groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, group) in groups.enumerated() {
            if index < 4 {
                high = high << 16 | UInt64(group)
            } else {
                low = low << 16 | UInt64(group)
            }
        }
        return IPAddress(high: high, low: low)
    }

    /// Parses colon-separated hex groups; an empty slice has no groups. A final dotted quad counts as two groups.
    private static func parseGroups(_ bytes: ArraySlice<UInt8>, allowsTrailingIPv4: Bool) -> [UInt16]? {
        if bytes.isEmpty {
            return []
        }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1 && allowsTrailingIPv4 && part.contains(UInt8(ascii: ".")) {
                guard let ipv4 = parseIPv4(part) else {
                    return nil
                }
                groups.append(UInt16(ipv4 >> 16))
                groups.append(UInt16(ipv4 & 0xffff))
                continue
            }
            guard part.count >= 1, part.count <= 4 else {
                return nil
            }
            var value: UInt16 = 0
            for byte in part {
                guard let digit = hexDigitValue(byte) else {
                    return nil
                }
                value = value << 4 | UInt16(digit)
            }
            groups.append(value)
        }
        return groups.count <= 8 ? groups : nil
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }
}
