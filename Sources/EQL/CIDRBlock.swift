/// An address range written as `address/prefix`, or a single address when the prefix is left out.
///
/// An IPv4 block is stored as the matching range of IPv4-mapped IPv6 addresses, so it contains both `10.1.2.3` and
/// `::ffff:10.1.2.3`. Host bits below the prefix are cleared, so `192.0.0.9/29` is the block `192.0.0.8/29`.
public struct CIDRBlock: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block.
    public var network: IPAddress
    /// The prefix length counted over all 128 bits, so an IPv4 `/8` is stored as 104.
    public var prefixLength: Int

    private var highMask: UInt64 { CIDRBlock.mask(bits: min(prefixLength, 64)) }
    private var lowMask: UInt64 { CIDRBlock.mask(bits: max(prefixLength - 64, 0)) }

    public init(network: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.network = IPAddress(
            high: network.high & CIDRBlock.mask(bits: min(prefixLength, 64)),
            low: network.low & CIDRBlock.mask(bits: max(prefixLength - 64, 0)))
    }

    /// Parses `10.0.0.0/8`, `FE80::/10`, `::1` or `10.0.0.1`, or returns `nil`.
    ///
    /// The prefix is a decimal number from 0 to 32 for IPv4 and from 0 to 128 for IPv6.
    public static func parse(_ text: String) -> CIDRBlock? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress.parse(parts[0]) else {
            return nil
        }
        let isIPv4Text = !parts[0].contains(":")
        let width = isIPv4Text ? 32 : 128
        var prefix = width
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(digits), value <= width
            else {
                return nil
            }
            prefix = value
        }
        return CIDRBlock(network: address, prefixLength: isIPv4Text ? prefix + 96 : prefix)
    }

    /// Returns whether `address` lies inside the block.
    public func contains(_ address: IPAddress) -> Bool {
        (address.high & highMask) == network.high && (address.low & lowMask) == network.low
    }

    public var description: String {
        network.isIPv4 && prefixLength >= 96 ? "\(network)/\(prefixLength - 96)" : "\(network)/\(prefixLength)"
    }

    /// Returns a 64-bit mask with the top `bits` bits set.
    private static func mask(bits: Int) -> UInt64 {
        bits == 0 ? 0 : UInt64.max << UInt64(64 - bits)
    }
}
