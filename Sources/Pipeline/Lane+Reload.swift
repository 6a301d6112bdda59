import Detection
import Events

extension Lane {
    /// Switches the lane to new rules between two messages, keeping the pending sequences of the rules in `kept`
    /// (new index to old index) and dropping the others.
    ///
    /// NOTE: messages already waiting in the topic merge were decoded for the previous rules, so a new rule does not
    /// see fields that only it reads in them.
    func replaceRules(_ rules: [CompiledRule], decoder: EventDecoder, settings: MatcherSettings, kept: [Int: Int]) {
        matcher = matcher.carryingState(to: rules, settings: settings, kept: kept)
        self.decoder = decoder
    }
}
