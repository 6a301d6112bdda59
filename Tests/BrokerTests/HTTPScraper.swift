import Foundation

/// A minimal HTTP/1.0 client for the service's metrics endpoints on 127.0.0.1.
enum HTTPScraper {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Sends `GET path` to 127.0.0.1:`port` and reads the response to the end; throws when the connection fails.
    static func get(port: Int, path: String) throws -> Response {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket failed: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw HarnessError("connecting to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8)
        guard write(descriptor, request, request.count) == request.count else {
            throw HarnessError("sending the request to 127.0.0.1:\(port) failed")
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else {
                if count < 0 { throw HarnessError("reading from 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))") }
                break
            }
            received.append(contentsOf: buffer[0..<count])
        }
        return try parse(String(decoding: received, as: UTF8.self))
    }

    private static func parse(_ text: String) throws -> Response {
        guard let split = text.range(of: "\r\n\r\n") else { throw HarnessError("incomplete HTTP response: \(text)") }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusWords = head[0].split(separator: " ")
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else {
            throw HarnessError("invalid HTTP status line: \(head[0])")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// Returns a TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw HarnessError("binding a free port failed: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// Samples of a Prometheus text exposition, by metric name, with their labels.
struct Exposition {
    struct Sample {
        var labels: [String: String]
        var value: Double
    }

    var samples: [String: [Sample]] = [:]
    /// Metric names in the order their `# TYPE` lines appear, with the type.
    var types: [(name: String, type: String)] = []
    var helpNames: Set<String> = []

    /// Parses the text, checking that every sample follows the HELP and TYPE lines of its family.
    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                helpNames.insert(String(line.dropFirst(7).prefix { $0 != " " }))
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let words = line.dropFirst(7).split(separator: " ")
                types.append((String(words[0]), String(words[1])))
                continue
            }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw HarnessError("invalid sample line: \(line)")
            }
            let series = line[..<space]
            let name = String(series.prefix { $0 != "{" })
            var labels: [String: String] = [:]
            if let open = series.firstIndex(of: "{") {
                for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            let family = types.last?.name ?? ""
            let isOwn = name == family || (types.last?.type == "histogram" && name.hasPrefix(family + "_"))
            guard isOwn, helpNames.contains(family) else {
                throw HarnessError("sample \(name) does not follow the HELP and TYPE lines of its family")
            }
            samples[name, default: []].append(Sample(labels: labels, value: value))
        }
    }

    /// Returns the sum of every sample of `name` whose labels include `matching`.
    func sum(_ name: String, matching: [String: String] = [:]) -> Double {
        (samples[name] ?? []).filter { sample in matching.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }
}
