import Pipeline

/// A usage error: the process prints it with the command's usage and exits with status 2.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Reads `--name value`, `--name=value` and `--flag` options and positional arguments of one command.
struct Arguments {
    private(set) var positional: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Parses `arguments`; `valued` lists options that take a value, `flagNames` those that do not.
    init(_ arguments: ArraySlice<String>, valued: Set<String>, flagNames: Set<String>) throws {
        var iterator = arguments.makeIterator()
        var onlyPositional = false
        while let argument = iterator.next() {
            if onlyPositional || !argument.hasPrefix("-") || argument == "-" {
                positional.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositional = true
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if valued.contains(name) {
                // A known option in the value's place means the value was left out, as in `--config --set k=v`.
                guard let value = inlineValue ?? iterator.next(),
                      inlineValue != nil || !(valued.contains(value) || flagNames.contains(value))
                else {
                    throw UsageError("option \(name) needs a value")
                }
                values[name, default: []].append(value)
            } else if flagNames.contains(name) {
                guard inlineValue == nil else { throw UsageError("option \(name) takes no value") }
                flags.insert(name)
            } else {
                let known = valued.union(flagNames).sorted()
                var message = "unknown option '\(name)'"
                let distance = Configuration.editDistance
                if let close = known.min(by: { distance($0, name) < distance($1, name) }), distance(close, name) <= 3 {
                    message += " (did you mean '\(close)'?)"
                }
                throw UsageError(message)
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("option \(name) needs a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }
}
