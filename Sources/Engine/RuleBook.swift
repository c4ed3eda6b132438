import Expressions
import Rules
import TouchpointCore

/// A rule made ready to run: its expressions parsed once.
///
/// A class, not a struct: the engine reads a rule (`book.rules[i]`) several times per event, and copying the
/// struct (a `Rule` with its strings, lists and expressions) retained and released each of its references, 7 % of
/// the daemon's pipeline thread. Immutable once compiled.
public final class CompiledRule: Sendable {
    /// One `unless` entry, compiled.
    public struct Cancel: Sendable {
        public var event: String
        public var condition: Expression?
        /// Property names whose values must equal the trigger's (`same: [cart_id]`).
        public var same: [String]
    }

    public let rule: Rule
    public let condition: Expression?
    public let cancels: [Cancel]
    /// `rule.name.value`, kept: the engine reads it for every record.
    public let name: String

    init(rule: Rule, condition: Expression?, cancels: [Cancel]) {
        self.rule = rule
        self.condition = condition
        self.cancels = cancels
        self.name = rule.name.value
    }
}

/// All rules, compiled and indexed by the event names that trigger or cancel them.
public struct RuleBook: Sendable {
    public private(set) var rules: [CompiledRule] = []
    /// Event name → rules it triggers.
    private(set) var triggers: [String: [Int]] = [:]
    /// Event name → (rule, cancel entry) pairs it may cancel.
    private(set) var cancellers: [String: [(rule: Int, cancel: Int)]] = [:]
    /// Rules with `when.inactive`.
    private(set) var inactivity: [(rule: Int, span: TimeSpan)] = []

    /// Compiles `rules`; expressions that do not parse are reported and their rule left out.
    public init(rules: [Rule]) {
        self = RuleBook.compile(rules).book
    }

    /// Compiles `rules`, returning diagnostics that point into the rule files.
    public static func compile(_ rules: [Rule]) -> (book: RuleBook, diagnostics: [Diagnostic]) {
        var book = RuleBook()
        var diagnostics: [Diagnostic] = []
        for rule in rules {
            var ok = true
            func parse(_ located: Located<String>?) -> Expression? {
                guard let located else { return nil }
                do {
                    return try Expression(parsing: located.value)
                } catch {
                    ok = false
                    diagnostics.append(
                        .error("bad-expression", error.message, at: located.location(atOffset: error.offset)))
                    return nil
                }
            }
            var condition: Expression? = nil
            if case .event(_, let cond) = rule.trigger { condition = parse(cond) }
            let cancels = rule.unless.map { c in
                CompiledRule.Cancel(
                    event: c.event.value, condition: parse(c.condition), same: c.same.map(\.value))
            }
            guard ok else { continue }
            let index = book.rules.count
            book.rules.append(CompiledRule(rule: rule, condition: condition, cancels: cancels))
            switch rule.trigger {
            case .event(let name, _): book.triggers[name.value, default: []].append(index)
            case .inactive(let span): book.inactivity.append((index, span))
            }
            for (ci, c) in cancels.enumerated() { book.cancellers[c.event, default: []].append((index, ci)) }
        }
        return (book, diagnostics)
    }

    private init() {}

    /// Whether a rule's messages are decided as soon as they are due, not when the watermark passes them.
    ///
    /// A message waits for the watermark when an event that arrives late (dated before the watermark's
    /// reach, received after) could still change it: cancel it (`unless`), replace it or take its place
    /// (any `wait`: a late trigger of the same rule inside the wait restarts it, or with `restart: false`
    /// comes first), or outrank it under a cap (`once-per`, or the frequency cap for a non-transactional
    /// rule: a late trigger's earlier or higher-priority message would take the slot). What is left —
    /// `wait: 0`, no `unless`, no `once-per`, and transactional or no frequency cap — is the receipt kind of
    /// message: nothing can change it, so it goes out as soon as its trigger arrives.
    public static func decidesPromptly(_ rule: Rule, frequencyCap: FrequencyCap?) -> Bool {
        rule.wait == .zero && rule.unless.isEmpty && rule.oncePer == nil
            && (rule.transactional || frequencyCap == nil)
            // A late open or bounce can still cancel or hasten a fallback.
            && rule.send.fallback == nil
    }

    /// Indices of the rules with `send.fallback`.
    public var fallbackRules: [Int] { rules.indices.filter { rules[$0].rule.send.fallback != nil } }

    /// The index of the rule named `name`.
    public func index(of name: String) -> Int? { rules.firstIndex { $0.name == name } }
}
