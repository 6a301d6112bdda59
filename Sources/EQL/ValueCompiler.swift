/// Compiles expressions that produce values: literals, fields, arithmetic and function calls.
extension ExpressionCompiler {
    func value(_ expression: Expr) throws -> ValueFunction {
        switch expression {
        case .literal(.null, _):
            return { _ in nil }
        case .literal(let literal, _):
            return { _ in literal }
        case .field(let reference):
            let slot = fields.slot(for: reference.name)
            return { event in
                let value = event.value(atSlot: slot)
                return value == .null ? nil : value
            }
        case .arithmetic(let arithmeticOperator, let left, let right, _):
            try requireNumeric(left)
            try requireNumeric(right)
            let first = try value(left)
            let second = try value(right)
            return { event in
                guard let a = first(event), let b = second(event) else {
                    return nil
                }
                return Arithmetic.apply(arithmeticOperator, a, b)
            }
        case .negate(let operand, _):
            try requireNumeric(operand)
            let inner = try value(operand)
            return { event in
                inner(event).flatMap { Arithmetic.apply(.subtract, .integer(0), $0) }
            }
        case .call(let name, let isCaseInsensitive, let arguments, let position):
            return try callValue(name: name, isCaseInsensitive: isCaseInsensitive, arguments, at: position)
        case .not, .and, .or, .comparison, .membership, .pattern:
            let test = try condition(expression)
            return { event in
                switch test(event) {
                case .isTrue: .bool(true)
                case .isFalse: .bool(false)
                case .unknown: nil
                }
            }
        }
    }

    /// Returns the kind of `expression` as far as it is known before any event is seen.
    func kind(of expression: Expr) -> StaticKind {
        switch expression {
        case .literal(let value, _):
            switch value {
            case .null: return .null
            case .bool: return .boolean
            case .integer, .double: return .number
            case .string: return .string
            case .array: return .unknown
            }
        case .field:
            return .unknown
        case .not, .and, .or, .comparison, .membership, .pattern:
            return .boolean
        case .arithmetic, .negate:
            return .number
        case .call(let name, _, _, _):
            return FunctionLibrary.signature(named: name)?.result ?? .unknown
        }
    }

    /// Rejects an operand that is known not to be a number, such as a string literal in `x + "a"`.
    func requireNumeric(_ operand: Expr) throws {
        let operandKind = kind(of: operand)
        guard operandKind == .number || operandKind == .unknown || operandKind == .null else {
            throw EQLCompileError(at: operand.position, "expected a number, but found \(operandKind.description)")
        }
    }
}

/// Integer and decimal arithmetic with Elasticsearch's rules: integers stay integers, a decimal operand makes the
/// result decimal, and integer division truncates toward zero.
enum Arithmetic {
    /// Returns the result, or `nil` for a non-number operand, integer overflow or a zero divisor.
    static func apply(_ arithmeticOperator: ArithmeticOperator, _ left: EQLValue, _ right: EQLValue) -> EQLValue? {
        switch (left, right) {
        case (.integer(let a), .integer(let b)):
            return integer(arithmeticOperator, a, b).map { .integer($0) }
        case (.integer(let a), .double(let b)):
            return decimal(arithmeticOperator, Double(a), b).map { .double($0) }
        case (.double(let a), .integer(let b)):
            return decimal(arithmeticOperator, a, Double(b)).map { .double($0) }
        case (.double(let a), .double(let b)):
            return decimal(arithmeticOperator, a, b).map { .double($0) }
        default:
            return nil
        }
    }

    private static func integer(_ arithmeticOperator: ArithmeticOperator, _ a: Int64, _ b: Int64) -> Int64? {
        let (result, overflow): (Int64, Bool)
        switch arithmeticOperator {
        case .add:
            (result, overflow) = a.addingReportingOverflow(b)
        case .subtract:
            (result, overflow) = a.subtractingReportingOverflow(b)
        case .multiply:
            (result, overflow) = a.multipliedReportingOverflow(by: b)
        case .divide:
            guard b != 0 else {
                return nil
            }
            (result, overflow) = a.dividedReportingOverflow(by: b)
        case .modulo:
            guard b != 0 else {
                return nil
            }
            (result, overflow) = a.remainderReportingOverflow(dividingBy: b)
        }
        return overflow ? nil : result
    }

    private static func decimal(_ arithmeticOperator: ArithmeticOperator, _ a: Double, _ b: Double) -> Double? {
        switch arithmeticOperator {
        case .add:
            return a + b
        case .subtract:
            return a - b
        case .multiply:
            return a * b
        case .divide:
            return b == 0 ? nil : a / b
        case .modulo:
            return b == 0 ? nil : a.truncatingRemainder(dividingBy: b)
        }
    }
}
