import Detection
import Events

/// A small, fast, seedable random number generator (SplitMix64), so generated traffic is reproducible.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One generated event, with the key it is produced under.
public struct GeneratedEvent: Sendable {
    public var key: String
    public var json: String
    public var time: Int64
    /// Whether the event completes a planted sequence that the signed-binary rule must alert on.
    public var completesPlantedSequence: Bool
}

/// Generates ECS endpoint traffic shaped like Elastic Defend events: process, network, DNS, file and registry
/// events from many hosts and processes, a small share of LOLBin process starts, and planted sequences (a LOLBin
/// start, then a connection to a public address from the same process) among near misses (connections to private
/// addresses).
public struct SampleTraffic {
    /// Planted sequences whose completing network event has been generated.
    public private(set) var plantedSequences = 0
    public private(set) var nearMisses = 0
    private var random: SplitMix64
    private var scheduled: [GeneratedEvent] = []
    private var processes: [ProcessInfo] = []
    private let plantEvery: Int
    private var generated = 0

    struct ProcessInfo {
        var entityID: String
        var name: String
        var pid: Int
        var host: Int
        var user: String
        var parentName: String
        var parentEntityID: String
    }

    static let hosts = (1...40).map { "wks-\(String($0, radix: 16))-corp" }
    static let users = ["alice", "bob", "carol", "svc_backup", "SYSTEM", "dave", "erin"]
    static let benign = ["chrome.exe", "svchost.exe", "explorer.exe", "outlook.exe", "teams.exe", "powershell.exe",
                         "msedge.exe", "OneDrive.exe", "winword.exe", "cmd.exe"]
    static let lolbins = ["expand.exe", "extrac32.exe", "ieexec.exe", "makecab.exe"]
    static let privateAddresses = ["10.20.1.5", "192.168.4.20", "172.16.9.1", "127.0.0.1", "fe80::1c2:3ff:fe4d:5e6f"]
    static let publicAddresses = ["40.77.226.250", "151.101.1.69", "93.184.216.34", "2606:4700::6810:84e5", "8.8.4.4"]

    /// - Parameter plantEvery: about one planted sequence per this many events.
    public init(seed: UInt64 = 42, plantEvery: Int = 400) {
        random = SplitMix64(seed: seed)
        self.plantEvery = max(plantEvery, 10)
    }

    /// Returns the next event at `time` (nanoseconds since the epoch): a follow-up that is due, or a new event.
    public mutating func next(at time: Int64) -> GeneratedEvent {
        generated += 1
        if let index = scheduled.firstIndex(where: { $0.time <= time }) {
            let due = scheduled.remove(at: index)
            if due.completesPlantedSequence { plantedSequences += 1 }
            return due
        }
        let roll = Int.random(in: 0..<plantEvery, using: &random)
        if roll == 0 { return plant(at: time, isPublic: true) }
        if roll == 1 { return plant(at: time, isPublic: false) }
        if processes.isEmpty || Int.random(in: 0..<10, using: &random) == 0 {
            let process = newProcess(name: Self.benign.randomElement(using: &random)!)
            return GeneratedEvent(key: process.entityID, json: processEvent(process, time: time), time: time,
                                  completesPlantedSequence: false)
        }
        let process = processes.randomElement(using: &random)!
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4:
            let address = Bool.random(using: &random) ? Self.publicAddresses.randomElement(using: &random)!
                : Self.privateAddresses.randomElement(using: &random)!
            return GeneratedEvent(key: process.entityID, json: networkEvent(process, time: time, destination: address),
                                  time: time, completesPlantedSequence: false)
        case 4..<6:
            return GeneratedEvent(key: process.entityID, json: dnsEvent(process, time: time), time: time,
                                  completesPlantedSequence: false)
        case 6..<8:
            return GeneratedEvent(key: process.entityID, json: fileEvent(process, time: time), time: time,
                                  completesPlantedSequence: false)
        default:
            return GeneratedEvent(key: process.entityID, json: registryEvent(process, time: time), time: time,
                                  completesPlantedSequence: false)
        }
    }

    private mutating func plant(at time: Int64, isPublic: Bool) -> GeneratedEvent {
        // Planted processes stay out of the pool that random events pick from, so each one alerts exactly once
        // (planted) or never (near miss).
        let process = newProcess(name: Self.lolbins.randomElement(using: &random)!, isPooled: false)
        let delay = Int64.random(in: 200_000_000...2_000_000_000, using: &random)
        let address = isPublic ? Self.publicAddresses.randomElement(using: &random)!
            : Self.privateAddresses.randomElement(using: &random)!
        if !isPublic { nearMisses += 1 }
        scheduled.append(
            GeneratedEvent(key: process.entityID, json: networkEvent(process, time: time + delay, destination: address),
                           time: time + delay, completesPlantedSequence: isPublic))
        return GeneratedEvent(key: process.entityID, json: processEvent(process, time: time), time: time,
                              completesPlantedSequence: false)
    }

    private mutating func newProcess(name: String, isPooled: Bool = true) -> ProcessInfo {
        let host = Int.random(in: 0..<Self.hosts.count, using: &random)
        let entity = Self.entityID(&random)
        let parent = processes.randomElement(using: &random)
        let process = ProcessInfo(
            entityID: entity, name: name, pid: Int.random(in: 300...65_000, using: &random), host: host,
            user: Self.users.randomElement(using: &random)!, parentName: parent?.name ?? "explorer.exe",
            parentEntityID: parent?.entityID ?? Self.entityID(&random))
        guard isPooled else { return process }
        processes.append(process)
        if processes.count > 5_000 { processes.removeFirst(1_000) }
        return process
    }

    private static func entityID(_ random: inout SplitMix64) -> String {
        let digits = Array("0123456789abcdef")
        var text = "{"
        for index in 0..<32 {
            if [8, 12, 16, 20].contains(index) { text.append("-") }
            text.append(digits[Int.random(in: 0..<16, using: &random)])
        }
        return text + "}"
    }

    // MARK: Documents

    private func common(_ process: ProcessInfo, time: Int64, category: String, types: [String], action: String)
        -> [(String, JSONValue)]
    {
        let host = Self.hosts[process.host]
        let executable = "C:\\Windows\\System32\\\(process.name)"
        let digest = Self.hexDigest(of: process.name, length: 64)
        return [
            ("@timestamp", .string(Timestamp.format(time))),
            ("agent", .object([
                ("type", .string("endpoint")), ("version", .string("8.11.0")), ("id", .string("agent-\(process.host)")),
                ("ephemeral_id", .string("eph-\(process.host)-\(process.pid % 97)")),
            ])),
            ("data_stream", .object([
                ("type", .string("logs")), ("dataset", .string("endpoint.events.\(category)")), ("namespace", .string("default")),
            ])),
            ("ecs", .object([("version", .string("8.10.0"))])),
            ("event", .object([
                ("kind", .string("event")), ("category", .array([.string(category)])),
                ("type", .array(types.map { .string($0) })), ("action", .string(action)),
                ("module", .string("endpoint")), ("dataset", .string("endpoint.events.\(category)")),
                ("id", .string(Self.hexDigest(of: "\(process.entityID)\(time)", length: 32))),
                ("sequence", .integer(time / 1_000_000 % 1_000_000)),
                ("created", .string(Timestamp.format(time))), ("ingested", .string(Timestamp.format(time + 1_500_000_000))),
            ])),
            ("host", .object([
                ("name", .string(host)), ("hostname", .string(host)), ("id", .string(Self.hexDigest(of: host, length: 32))),
                ("architecture", .string("x86_64")),
                ("os", .object([
                    ("type", .string("windows")), ("family", .string("windows")), ("version", .string("10.0")),
                    ("name", .string("Windows")), ("full", .string("Windows 10 Enterprise 22H2")),
                    ("kernel", .string("22H2 (10.0.19045.3693)")), ("platform", .string("windows")),
                ])),
                ("ip", .array([.string("10.1.\(process.host).\(process.host + 10)"), .string("fe80::\(process.host):1")])),
                ("mac", .array([.string("00-50-56-\(String(process.host, radix: 16))-4A-21")])),
            ])),
            ("user", .object([
                ("name", .string(process.user)), ("domain", .string("CORP")),
                ("id", .string("S-1-5-21-3541430928-2051711210-1391384369-\(1000 + process.user.count)")),
            ])),
            ("process", .object([
                ("entity_id", .string(process.entityID)), ("name", .string(process.name)), ("pid", .integer(Int64(process.pid))),
                ("executable", .string(executable)),
                ("args", .array([.string(executable), .string("/q"), .string("/s")])), ("args_count", .integer(3)),
                ("working_directory", .string("C:\\Users\\\(process.user)\\")),
                ("hash", .object([
                    ("md5", .string(String(digest.prefix(32)))), ("sha1", .string(String(digest.prefix(40)))),
                    ("sha256", .string(digest)),
                ])),
                ("code_signature", .object([
                    ("subject_name", .string("Microsoft Windows")), ("trusted", .bool(true)), ("exists", .bool(true)),
                    ("status", .string("trusted")),
                ])),
                ("pe", .object([
                    ("original_file_name", .string(process.name.uppercased())), ("company", .string("Microsoft Corporation")),
                    ("product", .string("Microsoft® Windows® Operating System")), ("file_version", .string("10.0.19041.1")),
                ])),
                ("parent", .object([
                    ("entity_id", .string(process.parentEntityID)), ("name", .string(process.parentName)),
                    ("pid", .integer(Int64(process.pid / 2 + 4))),
                    ("executable", .string("C:\\Windows\\\(process.parentName)")),
                    ("command_line", .string("C:\\Windows\\\(process.parentName) /background")),
                    ("args", .array([.string("C:\\Windows\\\(process.parentName)"), .string("/background")])),
                ])),
            ])),
        ]
    }

    /// A deterministic hex string standing in for a hash, so events look like real ones without computing hashes.
    private static func hexDigest(of text: String, length: Int) -> String {
        var state = UInt64(truncatingIfNeeded: text.hashValueStable)
        var random = SplitMix64(seed: state)
        let digits = Array("0123456789abcdef")
        var output = ""
        output.reserveCapacity(length)
        for _ in 0..<length {
            state = random.next()
            output.append(digits[Int(state & 15)])
        }
        return output
    }

    private func processEvent(_ process: ProcessInfo, time: Int64) -> String {
        var members = common(process, time: time, category: "process", types: ["start"], action: "start")
        members.append(("message", .string("Endpoint process event")))
        members.append(("process.command_line", .string("C:\\Windows\\System32\\\(process.name) /q")))
        return JSONValue.object(members).serialized()
    }

    private func networkEvent(_ process: ProcessInfo, time: Int64, destination: String) -> String {
        var members = common(process, time: time, category: "network", types: ["start", "connection"],
                             action: "connection_attempted")
        members.append(("destination", .object([("ip", .string(destination)), ("port", .integer(443))])))
        members.append(("source", .object([("ip", .string("10.1.\(process.host).\(process.host + 10)")),
                                           ("port", .integer(Int64(49_152 + process.pid % 10_000)))])))
        members.append(("network", .object([("transport", .string("tcp")), ("direction", .string("egress"))])))
        return JSONValue.object(members).serialized()
    }

    private func dnsEvent(_ process: ProcessInfo, time: Int64) -> String {
        var members = common(process, time: time, category: "network", types: ["protocol", "info"], action: "lookup_requested")
        members.append(("dns", .object([("question", .object([("name", .string("updates.example.com")), ("type", .string("A"))]))])))
        return JSONValue.object(members).serialized()
    }

    private func fileEvent(_ process: ProcessInfo, time: Int64) -> String {
        var members = common(process, time: time, category: "file", types: ["creation"], action: "creation")
        members.append(("file", .object([("path", .string("C:\\Users\\Public\\Documents\\report-\(process.pid).docx")),
                                         ("extension", .string("docx")), ("size", .integer(18_432))])))
        return JSONValue.object(members).serialized()
    }

    private func registryEvent(_ process: ProcessInfo, time: Int64) -> String {
        var members = common(process, time: time, category: "registry", types: ["change"], action: "modification")
        members.append(("registry", .object([
            ("path", .string("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater")),
            ("value", .string("Updater")), ("data", .object([("strings", .array([.string("C:\\ProgramData\\updater.exe")]))])),
        ])))
        return JSONValue.object(members).serialized()
    }
}

extension String {
    /// An FNV-1a hash of the UTF-8 bytes; unlike `hashValue` it is the same in every process.
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
