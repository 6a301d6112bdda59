import EQL
import Testing

@Suite("Unpacker rule network stage")
struct UnpackerRuleTests {
    private let table = FieldTable()
    private let filter: CompiledFilter

    init() throws {
        guard case .sequence(let sequence) = try EQLParser.parse(unpackerRuleQuery).body else {
            throw EQLSyntaxError(line: 0, column: 0, found: "", expected: "", message: "not a sequence")
        }
        filter = try EQLCompiler.compileFilter(sequence.stages[1].query, fields: table)
    }

    private func matches(destination: String?, processName: String = "expand.exe") -> Bool {
        var values: [String: EQLValue] = [
            "event.category": .string("network"), "process.name": .string(processName),
        ]
        if let destination {
            values["destination.ip"] = .string(destination)
        }
        return filter.matches(DictionarySource(values, table: table))
    }

    @Test("public IPv4 matches")
    func publicAddress() {
        #expect(matches(destination: "8.8.8.8"))
    }

    @Test("private and special addresses do not match")
    func privateAddresses() {
        for address in ["10.0.2.3", "169.254.180.25", "0:0:0:0:0:0:0:1", "::1", "192.168.1.1", "fe80::1%3",
            "ff02::1:3", "::ffff:10.1.2.3", "100.64.0.1"] {
            #expect(!matches(destination: address), "\(address) must be excluded")
        }
    }

    @Test("missing destination matches")
    func missingDestination() {
        #expect(matches(destination: nil))
    }

    @Test("upper-case process name matches")
    func upperCaseName() {
        #expect(matches(destination: "8.8.8.8", processName: "EXPAND.EXE"))
        #expect(!matches(destination: "8.8.8.8", processName: "notepad.exe"))
    }

    @Test("wrong category does not match")
    func wrongCategory() {
        let values: [String: EQLValue] = [
            "event.category": .string("process"), "process.name": .string("expand.exe"),
            "destination.ip": .string("8.8.8.8"),
        ]
        #expect(!filter.matches(DictionarySource(values, table: table)))
    }
}
