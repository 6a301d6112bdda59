/// The name, argument count and result kind of one EQL function.
struct FunctionSignature: Sendable {
    /// The name as Elasticsearch documents it; calls match it case-insensitively.
    let name: String
    let minimumArguments: Int
    /// The largest argument count, or `nil` for no limit.
    let maximumArguments: Int?
    /// Whether the function accepts the `~` suffix for case-insensitive matching.
    let allowsCaseInsensitive: Bool
    let result: StaticKind

    var arityDescription: String {
        switch maximumArguments {
        case nil: "at least \(minimumArguments) arguments"
        case minimumArguments?: "\(minimumArguments) argument\(minimumArguments == 1 ? "" : "s")"
        case let maximum?: "\(minimumArguments) to \(maximum) arguments"
        }
    }
}

/// The functions this engine implements, keyed by lowercased name.
enum FunctionLibrary {
    static let signatures: [String: FunctionSignature] = {
        let all = [
            FunctionSignature(
                name: "cidrMatch", minimumArguments: 2, maximumArguments: nil, allowsCaseInsensitive: false,
                result: .boolean),
            FunctionSignature(
                name: "startsWith", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: true,
                result: .boolean),
            FunctionSignature(
                name: "endsWith", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: true,
                result: .boolean),
            FunctionSignature(
                name: "stringContains", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: true,
                result: .boolean),
            FunctionSignature(
                name: "length", minimumArguments: 1, maximumArguments: 1, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "concat", minimumArguments: 1, maximumArguments: nil, allowsCaseInsensitive: false,
                result: .string),
            FunctionSignature(
                name: "between", minimumArguments: 3, maximumArguments: 4, allowsCaseInsensitive: true,
                result: .string),
            FunctionSignature(
                name: "indexOf", minimumArguments: 2, maximumArguments: 3, allowsCaseInsensitive: true,
                result: .number),
            FunctionSignature(
                name: "substring", minimumArguments: 2, maximumArguments: 3, allowsCaseInsensitive: false,
                result: .string),
            FunctionSignature(
                name: "add", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "subtract", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "multiply", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "divide", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "modulo", minimumArguments: 2, maximumArguments: 2, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "number", minimumArguments: 1, maximumArguments: 2, allowsCaseInsensitive: false,
                result: .number),
            FunctionSignature(
                name: "string", minimumArguments: 1, maximumArguments: 1, allowsCaseInsensitive: false,
                result: .string),
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.name.lowercased(), $0) })
    }()

    static func signature(named name: String) -> FunctionSignature? {
        signatures[name.lowercased()]
    }

    /// Returns the signature of a call after checking the name, the `~` suffix and the argument count.
    static func checkedSignature(
        name: String, isCaseInsensitive: Bool, argumentCount: Int, at position: SourcePosition
    ) throws -> FunctionSignature {
        guard let signature = signature(named: name) else {
            let known = signatures.values.map(\.name).sorted { $0.lowercased() < $1.lowercased() }
            throw EQLCompileError(
                at: position, "unknown function `\(name)`; expected one of \(known.joined(separator: ", "))")
        }
        if isCaseInsensitive && !signature.allowsCaseInsensitive {
            throw EQLCompileError(at: position, "function `\(signature.name)` has no case-insensitive `~` form")
        }
        let tooFew = argumentCount < signature.minimumArguments
        let tooMany = signature.maximumArguments.map { argumentCount > $0 } ?? false
        if tooFew || tooMany {
            throw EQLCompileError(
                at: position,
                "function `\(signature.name)` takes \(signature.arityDescription), but \(argumentCount) were given")
        }
        return signature
    }
}
