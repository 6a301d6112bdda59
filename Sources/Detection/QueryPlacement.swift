import EQL

/// The location of a rule's query text in its rule file.
public enum QueryPlacement: Sendable {
    /// Inside a JSON string, in a file that is one rule object (`line` is nil) or on `line` of an export. The JSON
    /// parser reports no positions, so errors give the line and column inside the query instead.
    case jsonString(line: Int?)
    /// In a TOML string: the file position of each Unicode scalar of the query, then of the closing delimiter.
    case mapped([SourcePosition])

    /// Returns the file position of `position`, a 1-based line and column inside `query` as the EQL lexer counts
    /// them, or `nil` when the file position is not known.
    func filePosition(of position: SourcePosition, in query: String) -> SourcePosition? {
        guard case .mapped(let positions) = self, !positions.isEmpty else {
            return nil
        }
        var line = 1
        var column = 1
        var offset = 0
        for scalar in query.unicodeScalars {
            if line == position.line && column == position.column {
                break
            }
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            offset += 1
        }
        return positions[min(offset, positions.count - 1)]
    }
}

extension RuleLoadError {
    /// Creates the error for a query that does not parse, naming what was found and what the grammar expected.
    init(rule: Rule, syntaxError error: EQLSyntaxError) {
        var detail = error.message
        if !detail.contains(error.expected) {
            detail += " (found \(error.found), expected \(error.expected))"
        }
        self.init(rule: rule, at: SourcePosition(line: error.line, column: error.column), detail)
    }

    /// Creates the error for a query that parses but does not compile.
    init(rule: Rule, compileError error: EQLCompileError) {
        self.init(rule: rule, at: SourcePosition(line: error.line, column: error.column), error.message)
    }

    /// Creates an error at `position` inside the rule's query: at the file position when it is known, otherwise at
    /// the rule's line (for an export) with the position inside the query in the message.
    init(rule: Rule, at position: SourcePosition, _ detail: String) {
        if let filePosition = rule.queryPlacement.filePosition(of: position, in: rule.query) {
            self.init(
                file: rule.source, line: filePosition.line, column: filePosition.column, queryPosition: position,
                "rule \(rule.ruleID): \(detail)")
            return
        }
        var line: Int?
        if case .jsonString(let exportLine) = rule.queryPlacement {
            line = exportLine
        }
        self.init(
            file: rule.source, line: line, queryPosition: position,
            "rule \(rule.ruleID): query line \(position.line), column \(position.column): \(detail)")
    }
}
