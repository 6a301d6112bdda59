import EQL
import Testing

@Suite("cidrMatch")
struct CIDRMatchTests {
    private func inside(_ address: String, _ blocks: String...) throws -> Bool {
        let list = blocks.map { "\"\($0)\"" }.joined(separator: ", ")
        let query = "network where cidrMatch(destination.ip, \(list))"
        return try evaluate(query, ["destination.ip": .string(address)], category: "network")
    }

    @Test("IPv4 blocks")
    func ipv4() throws {
        #expect(try inside("10.1.2.3", "10.0.0.0/8"))
        #expect(try !inside("11.1.2.3", "10.0.0.0/8"))
        #expect(try inside("172.31.255.255", "172.16.0.0/12"))
        #expect(try !inside("172.32.0.0", "172.16.0.0/12"))
        #expect(try inside("192.0.0.9", "192.0.0.9/32"))
        #expect(try inside("10.0.0.1", "10.0.0.1"))
        #expect(try !inside("10.0.0.2", "10.0.0.1"))
        #expect(try inside("8.8.8.8", "0.0.0.0/0"))
    }

    @Test("IPv6 notations")
    func ipv6() throws {
        #expect(try inside("0:0:0:0:0:0:0:1", "::1"))
        #expect(try inside("::1", "::1"))
        #expect(try inside("FE80::1", "fe80::/10"))
        #expect(try inside("fe80::1%eth0", "FE80::/10"))
        #expect(try inside("ff02:0:0:0:0:0:1:3", "FF00::/8"))
        #expect(try !inside("2001:db8::1", "FF00::/8"))
        #expect(try inside("2001:DB8:0:0:0:0:0:FFFF", "2001:db8::/32"))
    }

    @Test("IPv4-mapped IPv6 matches IPv4 blocks")
    func mapped() throws {
        #expect(try inside("::ffff:10.1.2.3", "10.0.0.0/8"))
        #expect(try inside("::FFFF:a01:203", "10.0.0.0/8"))
        #expect(try !inside("::ffff:11.1.2.3", "10.0.0.0/8"))
        #expect(try inside("10.1.2.3", "::ffff:10.0.0.0/104"))
    }

    @Test("embedded dotted quad")
    func embeddedDottedQuad() throws {
        #expect(try inside("64:ff9b::192.0.2.33", "64:ff9b::/96"))
        #expect(try inside("0:0:0:0:0:ffff:192.168.1.1", "192.168.0.0/16"))
    }

    @Test("invalid addresses behave as missing")
    func invalidAddresses() throws {
        for address in ["010.1.2.3", "1.2.3", "256.1.1.1", "hello", "", "1.2.3.4.5", "1:2:3", "::1::", "12345::"] {
            #expect(try !inside(address, "0.0.0.0/0", "::/0"), "\(address) must match no block")
            let negated = try evaluate(
                #"network where not cidrMatch(destination.ip, "0.0.0.0/0", "::/0")"#,
                ["destination.ip": .string(address)], category: "network")
            #expect(negated, "not cidrMatch must hold for \(address)")
        }
    }

    @Test("array value matches any element")
    func arrayValue() throws {
        let values: [String: EQLValue] = ["destination.ip": .array([.string("8.8.8.8"), .string("10.0.0.5")])]
        #expect(try evaluate(#"network where cidrmatch(destination.ip, "10.0.0.0/8")"#, values, category: "network"))
        let privateQuery = #"network where cidrmatch(destination.ip, "192.168.0.0/16")"#
        #expect(try !evaluate(privateQuery, values, category: "network"))
    }

    @Test("function name ignores case")
    func nameCase() throws {
        let values: [String: EQLValue] = ["destination.ip": .string("10.0.0.5")]
        #expect(try evaluate(#"network where CIDRMATCH(destination.ip, "10.0.0.0/8")"#, values, category: "network"))
    }

    @Test("blocks must be string literals")
    func blockLiteral() throws {
        let error = try #require(try compileError("network where cidrMatch(destination.ip, source.ip)"))
        #expect(error.column == 41)
    }
}

@Suite("IP addresses")
struct IPAddressTests {
    @Test("parse and describe")
    func parse() throws {
        #expect(IPAddress.parse("10.1.2.3")?.description == "10.1.2.3")
        #expect(IPAddress.parse("::ffff:10.1.2.3") == IPAddress.parse("10.1.2.3"))
        #expect(IPAddress.parse("::1")?.description == "0:0:0:0:0:0:0:1")
        #expect(IPAddress.parse("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPAddress.parse("1::")?.description == "1:0:0:0:0:0:0:0")
        #expect(IPAddress.parse("0.0.0.0") != nil)
        #expect(IPAddress.parse("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPAddress.parse("1:2:3:4:5:6:7::8") == nil)
        #expect(IPAddress.parse("::1%") == nil)
        #expect(IPAddress.parse("g::1") == nil)
    }

    @Test("CIDR blocks clear host bits")
    func blocks() throws {
        let block = try #require(CIDRBlock.parse("192.0.0.9/29"))
        #expect(block.description == "192.0.0.8/29")
        #expect(block.contains(try #require(IPAddress.parse("192.0.0.15"))))
        #expect(!block.contains(try #require(IPAddress.parse("192.0.0.16"))))
        #expect(CIDRBlock.parse("10.0.0.0/33") == nil)
        #expect(CIDRBlock.parse("::/129") == nil)
        #expect(CIDRBlock.parse("10.0.0.0/") == nil)
        #expect(CIDRBlock.parse("10.0.0.0/-1") == nil)
    }
}
