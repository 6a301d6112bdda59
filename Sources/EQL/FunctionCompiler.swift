/// Compiles function calls. Function names are case-insensitive, so `cidrmatch` and `cidrMatch` are the same.
extension ExpressionCompiler {
    /// Compiles a call used as a condition.
    func callCondition(
        name: String, isCaseInsensitive: Bool, _ arguments: [Expr], at position: SourcePosition
    ) throws -> Condition {
        let signature = try FunctionLibrary.checkedSignature(
            name: name, isCaseInsensitive: isCaseInsensitive, argumentCount: arguments.count, at: position)
        switch signature.name {
        case "cidrMatch":
            return try cidrMatch(arguments)
        case "startsWith", "endsWith", "stringContains":
            return try substringPredicate(signature.name, isCaseInsensitive: isCaseInsensitive, arguments)
        default:
            guard signature.result == .boolean || signature.result == .unknown else {
                throw EQLCompileError(
                    at: position,
                    "a condition must be boolean, but `\(signature.name)` returns \(signature.result.description)")
            }
            let compute = try callValue(name: name, isCaseInsensitive: isCaseInsensitive, arguments, at: position)
            return { event in
                guard case .bool(let flag) = compute(event) else {
                    return .unknown
                }
                return Truth(flag)
            }
        }
    }

    /// Compiles a call used as a value.
    func callValue(
        name: String, isCaseInsensitive: Bool, _ arguments: [Expr], at position: SourcePosition
    ) throws -> ValueFunction {
        let signature = try FunctionLibrary.checkedSignature(
            name: name, isCaseInsensitive: isCaseInsensitive, argumentCount: arguments.count, at: position)
        if signature.result == .boolean {
            let test = try callCondition(name: name, isCaseInsensitive: isCaseInsensitive, arguments, at: position)
            return { event in
                switch test(event) {
                case .isTrue: .bool(true)
                case .isFalse: .bool(false)
                case .unknown: nil
                }
            }
        }
        switch signature.name {
        case "add", "subtract", "multiply", "divide", "modulo":
            let arithmeticOperator: ArithmeticOperator =
                switch signature.name {
                case "add": .add
                case "subtract": .subtract
                case "multiply": .multiply
                case "divide": .divide
                default: .modulo
                }
            return try value(.arithmetic(arithmeticOperator, arguments[0], arguments[1], position))
        case "length":
            try requireText(arguments[0])
            return try unary(arguments[0]) { value in
                guard case .string(let text) = value else {
                    return nil
                }
                return .integer(Int64(text.utf16.count))
            }
        case "string":
            return try unary(arguments[0]) { ValueComparison.text(of: $0).map { .string($0) } }
        case "concat":
            let parts = try arguments.map { try value($0) }
            return { event in
                var result = ""
                for part in parts {
                    guard let partValue = part(event), let text = ValueComparison.text(of: partValue) else {
                        return nil
                    }
                    result += text
                }
                return .string(result)
            }
        default:
            return try StringFunctions.compile(signature.name, isCaseInsensitive: isCaseInsensitive, arguments, self)
        }
    }

    /// Compiles a one-argument function that maps a non-null value, with null giving null.
    func unary(_ argument: Expr, _ transform: @escaping @Sendable (EQLValue) -> EQLValue?) throws -> ValueFunction {
        let compute = try value(argument)
        return { event in
            compute(event).flatMap(transform)
        }
    }

    /// Rejects an argument that is known not to be a string.
    func requireText(_ argument: Expr) throws {
        let argumentKind = kind(of: argument)
        guard argumentKind == .string || argumentKind == .unknown || argumentKind == .null else {
            throw EQLCompileError(at: argument.position, "expected a string, but found \(argumentKind.description)")
        }
    }

    /// Rejects an argument that is known not to be a number.
    func requireNumber(_ argument: Expr) throws {
        try requireNumeric(argument)
    }

    // MARK: - cidrMatch

    /// Compiles `cidrMatch(address, block, …)`. The blocks must be string literals and are parsed here, once.
    ///
    /// A value that is not an IP address matches no block, like a missing field, so `not cidrMatch(…)` is true for
    /// it when the address argument is a field.
    private func cidrMatch(_ arguments: [Expr]) throws -> Condition {
        var blocks: [CIDRBlock] = []
        for argument in arguments.dropFirst() {
            guard case .literal(.string(let text), let position) = argument else {
                throw EQLCompileError(
                    at: argument.position,
                    "the CIDR blocks of `cidrMatch` must be string literals such as \"10.0.0.0/8\"")
            }
            guard let block = CIDRBlock.parse(text) else {
                throw EQLCompileError(
                    at: position, "invalid CIDR block \"\(text)\"; write an address such as \"10.0.0.0/8\"")
            }
            blocks.append(block)
        }
        try requireText(arguments[0])
        let allBlocks = blocks
        return try predicate(on: arguments[0]) { value in
            guard case .string(let text) = value, let address = IPAddress.parse(text) else {
                return false
            }
            for block in allBlocks where block.contains(address) {
                return true
            }
            return false
        }
    }

    // MARK: - startsWith, endsWith, stringContains

    private func substringPredicate(_ name: String, isCaseInsensitive: Bool, _ arguments: [Expr]) throws -> Condition {
        try requireText(arguments[0])
        try requireText(arguments[1])
        let kind: TextSearch.Kind =
            switch name {
            case "startsWith": .prefix
            case "endsWith": .suffix
            default: .contains
            }
        if case .literal(.string(let literal), _) = arguments[1] {
            let needle = TextSearch(literal, kind: kind, isCaseInsensitive: isCaseInsensitive)
            return try predicate(on: arguments[0]) { value in
                guard case .string(let text) = value else {
                    return false
                }
                return needle.isFound(in: text)
            }
        }
        // The searched-for text is computed per event, so a null on either side gives unknown.
        let source = try value(arguments[0])
        let searched = try value(arguments[1])
        return { event in
            guard case .string(let text)? = source(event), case .string(let literal)? = searched(event) else {
                return .unknown
            }
            return Truth(TextSearch(literal, kind: kind, isCaseInsensitive: isCaseInsensitive).isFound(in: text))
        }
    }
}
