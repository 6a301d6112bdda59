import Metrics
import Pipeline
import Telemetry

/// The HTTP endpoints of `run`: /metrics in the Prometheus text format, /healthz and /readyz as plain-text probes.
enum MetricsEndpoints {
    /// Starts the metrics server when `metrics.port` is set, and returns it with the board the processor publishes
    /// to; returns `nil` when metrics are off.
    static func start(configuration: Configuration, stop: StopSignal, logger: Logger) throws
        -> (server: MetricsServer, board: MetricsBoard)?
    {
        guard configuration.metricsPort != 0 else { return nil }
        let board = MetricsBoard(
            settings: ProbeSettings(healthTimeout: configuration.healthTimeout, maxReadyLag: configuration.maxReadyLag),
            stop: stop)
        let server = try MetricsServer(address: configuration.metricsAddress, port: configuration.metricsPort) {
            method, path in
            respond(method: method, path: path, board: board)
        }
        logger.info(
            "metrics server listening", ["address": configuration.metricsAddress, "port": configuration.metricsPort,
                                         "endpoints": "/metrics,/healthz,/readyz"])
        return (server, board)
    }

    static func respond(method: String, path: String, board: MetricsBoard) -> HTTPResponse {
        guard method == "GET" || method == "HEAD" else {
            return HTTPResponse(status: 405, body: "method \(method) is not allowed; use GET\n", headers: [("Allow", "GET, HEAD")])
        }
        switch path {
        case "/metrics":
            return HTTPResponse(status: 200, contentType: PrometheusText.contentType, body: board.metricsText())
        case "/healthz":
            return probe(board.health())
        case "/readyz":
            return probe(board.readiness())
        default:
            return HTTPResponse(status: 404, body: "\(path) not found; the endpoints are /metrics, /healthz and /readyz\n")
        }
    }

    private static func probe(_ result: ProbeResult) -> HTTPResponse {
        HTTPResponse(status: result.isPassing ? 200 : 503, body: result.reason + "\n")
    }
}
