import Dispatch
import Foundation
import Pipeline
import Telemetry

/// Sets `stop` on SIGTERM or SIGINT, and requests a rule reload on SIGHUP. The sources are kept alive for the
/// life of the process.
enum Signals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func reload(on request: ReloadRequest) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { request.request() }
        source.resume()
        sources.append(source)
    }

    static func stop(on stop: StopSignal, signals: [Int32] = [SIGTERM, SIGINT]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.stop() }
            source.resume()
            sources.append(source)
        }
    }
}

/// Writes a line to standard output and flushes, so a reading process sees it at once.
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Writes a line to standard error, with registered secrets replaced.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((Redaction.scrub(text) + "\n").utf8))
}
