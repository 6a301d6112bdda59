import Detection
import Foundation
import Kafka
import Metrics
import Pipeline
import Telemetry

enum RunCommand {
    static let help = """
        Usage: eqlstream run [--config FILE] [--set KEY=VALUE]...

        Runs the service: a consumer-group member that reads ECS events from the input topics, runs the rules,
        and produces one alert per detected sequence to the output topic. Offsets are committed with a checkpoint,
        so a restart neither loses nor repeats alerts.

        Configuration comes from the properties file, then EQLSTREAM_* environment variables
        (EQLSTREAM_KAFKA_BOOTSTRAP_SERVERS sets kafka.bootstrap.servers), then --set options. Keys starting with
        kafka. go to librdkafka unchanged, e.g. kafka.bootstrap.servers, kafka.group.id, kafka.security.protocol.

        With no kafka.bootstrap.servers, run starts an embedded mock broker on 127.0.0.1, feeds it sample traffic
        with planted sequences, and prints the alerts read back from the output topic on standard output.

        With metrics.port set, run serves Prometheus metrics on /metrics and the probes /healthz and /readyz over
        HTTP on metrics.address (127.0.0.1 by default); docs/metrics.md lists every metric.

        Options:
          --config FILE      Properties file, see config/eqlstream.properties (default: none, so only the
                             environment, --set and the defaults below apply).
          --set KEY=VALUE    Override one key; repeat for more (default: none).
          --help             Print this help.

        Durations are a whole number with a unit: ms, s, m, h or d.
        Signals: SIGTERM or SIGINT stop the service (flush alerts, commit, leave the group within
        shutdown.timeout); SIGHUP reloads the rules from rules.path and keeps the old rules when any new one fails.

        Keys:
        \(Configuration.keys.map { "  \($0.key)\n      \($0.help)" }.joined(separator: "\n"))
        """

    static func main(_ arguments: ArraySlice<String>) throws -> Int32 {
        let options = try Arguments(arguments, valued: ["--config", "--set"], flagNames: ["--help"])
        if options.has("--help") {
            printLine(help)
            return 0
        }
        guard options.positional.isEmpty else {
            throw UsageError("unexpected argument '\(options.positional[0])'")
        }
        var configuration: Configuration
        let ruleSet: RuleSet
        do {
            configuration = try Configuration.load(
                file: options.value("--config"), environment: ProcessInfo.processInfo.environment,
                overrides: options.all("--set"))
            try KafkaPropertyCheck.validate(configuration.consumerProperties)
            try KafkaPropertyCheck.validate(configuration.producerProperties)
            ruleSet = try RuleSet(path: configuration.rulesPath, defaultWindow: configuration.defaultWindow,
                                  maxMessageBytes: configuration.maxMessageBytes)
        } catch {
            printError("eqlstream run: \(error)")
            return ExitStatus.usage
        }
        let logger = Logger(label: "eqlstream", level: configuration.logLevel, format: configuration.logFormat)
        logger.info("rules loaded", ["count": ruleSet.rules.count, "path": configuration.rulesPath,
                                     "rule_ids": ruleSet.rules.map(\.rule.ruleID).joined(separator: ",")])
        for rule in ruleSet.disabled {
            logger.info("rule is disabled and does not run", ["rule_id": rule.ruleID, "file": rule.source])
        }
        for compiled in ruleSet.rules where compiled.rule.exceptionListCount > 0 {
            logger.warning(
                "rule references exception lists, which are kept in Kibana and are not applied",
                ["rule_id": compiled.rule.ruleID, "lists": compiled.rule.exceptionListCount])
        }
        let stop = StopSignal()
        Signals.stop(on: stop)
        let metrics: (server: MetricsServer, board: MetricsBoard)?
        do {
            metrics = try MetricsEndpoints.start(configuration: configuration, stop: stop, logger: logger)
        } catch {
            logger.error("cannot start the metrics server", ["error": "\(error)"])
            printError("eqlstream run: \(error)")
            return ExitStatus.failure
        }
        defer { metrics?.server.stop() }
        let reload = ReloadRequest()
        Signals.reload(on: reload)
        ShutdownWatchdog.start(stop: stop, timeout: configuration.shutdownTimeout, logger: logger)

        var demo: EmbeddedDemo?
        if configuration.isEmbedded {
            do {
                demo = try EmbeddedDemo(configuration: configuration, logger: logger, stop: stop)
                configuration = demo!.configuration
            } catch {
                printError("eqlstream run: cannot start the embedded broker: \(error)")
                return ExitStatus.failure
            }
        }
        do {
            let processor = try StreamProcessor(configuration: configuration, ruleSet: ruleSet, logger: logger)
            processor.metrics = metrics.map { ProcessorMetrics(board: $0.board) }
            processor.reloadRequest = reload
            try processor.run(until: stop)
        } catch let error as ConfigurationError {
            logger.error("configuration error", ["error": error.message])
            printError("eqlstream run: \(error.message)")
            return ExitStatus.usage
        } catch let error as KafkaError where error.code == nil {
            // librdkafka rejected a property before connecting: a configuration error.
            printError("eqlstream run: \(error.message)")
            return ExitStatus.usage
        } catch {
            logger.error("processor failed", ["error": "\(error)"])
            return ExitStatus.failure
        }
        demo?.finish()
        return 0
    }
}
