import CMicroHTTPD
import Glibc
import Telemetry

/// A response to one request of the metrics server.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: String
    public var headers: [(String, String)]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String,
                headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }
}

/// A failure to start the metrics server, with the address and the system's reason.
public struct MetricsServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// An HTTP server for scrapes and probes, run by libmicrohttpd on its own polling thread.
///
/// `handler` is called on that thread with the request method and path (without the query string), so it must only
/// read state that other threads publish safely. The server stops when ``stop()`` is called or it is released.
public final class MetricsServer {
    public let address: String
    public let port: Int
    private var daemon: OpaquePointer?
    private let router: Unmanaged<Router>

    /// Listens on `address` (a numeric IPv4 or IPv6 address) and `port`, and starts serving.
    ///
    /// - Throws: ``MetricsServerError`` when the address is invalid, the port is taken, or libmicrohttpd fails.
    public init(address: String, port: Int, handler: @escaping @Sendable (_ method: String, _ path: String) -> HTTPResponse)
        throws
    {
        self.address = address
        self.port = port
        let listener = try Self.listen(address: address, port: port)
        let router = Unmanaged.passRetained(Router(handler: handler))
        var flags = MHD_USE_AUTO_INTERNAL_THREAD.rawValue
        if listener.isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        guard let daemon = eqlstream_mhd_start(
            flags, listener.socket, Self.accessHandler, router.toOpaque(), Self.connectionLimit, Self.timeoutSeconds)
        else {
            close(listener.socket)
            router.release()
            throw MetricsServerError("libmicrohttpd could not start the metrics server on \(address):\(port)")
        }
        self.daemon = daemon
        self.router = router
    }

    deinit { stop() }

    /// Closes the listening socket and waits for the server thread to finish. Calling it again does nothing.
    public func stop() {
        guard let daemon else { return }
        MHD_stop_daemon(daemon)
        self.daemon = nil
        router.release()
    }

    /// Concurrent connections beyond this are refused, so a flood of scrapes cannot exhaust file descriptors.
    static let connectionLimit: UInt32 = 32
    /// An idle connection is closed after this many seconds.
    static let timeoutSeconds: UInt32 = 10

    /// Owns the handler for the C callback, which reaches it through the daemon's context pointer.
    final class Router {
        let handler: @Sendable (String, String) -> HTTPResponse
        init(handler: @escaping @Sendable (String, String) -> HTTPResponse) { self.handler = handler }
    }

    static let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, _, _, _, _ in
        guard let context, let connection else { return .NO }
        let router = Unmanaged<Router>.fromOpaque(context).takeUnretainedValue()
        let path = url.map { String(cString: $0) } ?? "/"
        let response = router.handler(method.map { String(cString: $0) } ?? "", path)
        var body = Array(response.body.utf8)
        let reply = body.withUnsafeMutableBytes { bytes in
            MHD_create_response_from_buffer(bytes.count, bytes.baseAddress, .RESPMEM_MUST_COPY)
        }
        guard let reply else { return .NO }
        defer { MHD_destroy_response(reply) }
        _ = MHD_add_response_header(reply, "Content-Type", response.contentType)
        for (name, value) in response.headers {
            _ = MHD_add_response_header(reply, name, value)
        }
        return MHD_queue_response(connection, UInt32(response.status), reply)
    }

    /// Opens a listening TCP socket, so that a taken port or a bad address fails with the system's own reason.
    private static func listen(address: String, port: Int) throws -> (socket: Int32, isIPv6: Bool) {
        guard (1...65_535).contains(port) else {
            throw MetricsServerError("invalid metrics port \(port); expected 1 to 65535")
        }
        var ipv4 = sockaddr_in()
        var ipv6 = sockaddr_in6()
        let isIPv6: Bool
        if inet_pton(AF_INET, address, &ipv4.sin_addr) == 1 {
            ipv4.sin_family = sa_family_t(AF_INET)
            ipv4.sin_port = in_port_t(UInt16(port).bigEndian)
            isIPv6 = false
        } else if inet_pton(AF_INET6, address, &ipv6.sin6_addr) == 1 {
            ipv6.sin6_family = sa_family_t(AF_INET6)
            ipv6.sin6_port = in_port_t(UInt16(port).bigEndian)
            isIPv6 = true
        } else {
            throw MetricsServerError("invalid metrics address \(address); expected a numeric IPv4 or IPv6 address")
        }
        let descriptor = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw MetricsServerError("cannot open a socket for metrics: \(systemError())") }

        var reuse: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if isIPv6 {
            bound = withUnsafePointer(to: &ipv6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            bound = withUnsafePointer(to: &ipv4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }

        guard bound == 0, Glibc.listen(descriptor, 64) == 0 else {
            let reason = systemError()
            close(descriptor)
            throw MetricsServerError("cannot listen on \(address):\(port) for metrics: \(reason); choose another metrics.port")
        }
        return (descriptor, isIPv6)
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
