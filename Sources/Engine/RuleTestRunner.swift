import Rules
import Templates
import TouchpointCore

/// Runs rule tests (SPEC §2, `touchpoint test`) against a project's rules and templates in virtual time.
///
/// Each test gets a fresh ``Engine``. Its `customers:` become `identify` events at `start` (or at the
/// first event, if one is earlier), ahead of every other event; its `events:` follow in time order, ties
/// in file order. Events after `until` are not replayed (as in `dry-run --until`); the clock then stops
/// at `until`, or runs every pending timer out when the test has none.
///
/// Which decisions are compared: the SPEC asks the expected list to match "the messages that fired",
/// so by default only `send` records take part and a cancellation or a suppression is simply "nothing
/// fired" (that is what `expect: []` means). When any expectation of the test asks for
/// `decision: suppressed` (or names a `reason`), every suppressed record takes part too, so such a
/// test pins down all that was held back as well as all that was sent. `rules:` narrows both to the
/// rules it names.
///
/// Matching is one to one and optimal: expectations and records are paired to maximise first the
/// number of exact matches, then the number of pairs (an expectation and a record of the same rule and
/// customer are reported as field differences rather than a missing plus an unexpected message), then
/// the number of agreeing fields.
public struct RuleTestRunner: Sendable {
    /// The compiled rules the tests run against.
    public let book: RuleBook
    /// The templates messages are rendered with (`text` expectations look into the rendering).
    public let templates: TemplateSet
    /// Quiet hours, caps, default zone: the project's own.
    public let settings: EngineSettings

    /// A runner over already-compiled parts.
    public init(book: RuleBook, templates: TemplateSet, settings: EngineSettings) {
        self.book = book
        self.templates = templates
        self.settings = settings
    }

    /// A runner over a loaded project's rules, templates and settings.
    public init(project: Project) {
        self.init(book: project.book, templates: project.templates, settings: project.engineSettings())
    }

    /// Loads every test file in `paths`, in order, and runs its tests.
    public func run(files paths: [String]) -> RuleTestReport {
        var report = RuleTestReport()
        for path in paths {
            let (tests, diagnostics) = RuleTestFile.load(path: path)
            report.diagnostics += diagnostics
            for test in tests { report.results.append(run(test)) }
        }
        return report
    }

    /// Runs one test.
    public func run(_ test: RuleTest) -> RuleTestResult {
        var errors: [RuleTestDifference] = []
        let ruleNames = book.rules.map(\.name)
        let known = Set(ruleNames)
        var filter: Set<String>?
        if let rules = test.rules {
            for r in rules where !known.contains(r.value) {
                errors.append(
                    .error(
                        "unknown rule '\(r.value)' in rules"
                            + Self.hint(
                                r.value, in: ruleNames, otherwise: "; the rules are \(Self.list(ruleNames))"),
                        at: r.location))
            }
            filter = Set(rules.map(\.value))
        }

        // Replay.
        let start = test.start
        let until = test.untilInstant
        // Every event of a test is known in advance: unbounded lateness orders them all.
        var sequencer = Sequencer(
            engine: Engine(book: book, templates: templates, settings: settings), lateness: nil)
        var records: [MessageRecord] = []
        let collect: (MessageRecord) -> Void = { records.append($0) }
        let firstEvent = test.events.map { $0.at.instant(from: start.instant) }.min()
        let profileTime =
            firstEvent.map {
                $0 < start.instant ? Timestamp(instant: $0, offsetSeconds: start.offsetSeconds) : start
            }
            ?? start
        // The profiles first, ahead of every event; then the events in file order (the sequencer sorts).
        for c in test.customers {
            sequencer.offer(
                Event(
                    kind: .identify, userId: c.id.value, timestamp: profileTime, traits: c.traits,
                    source: c.id.location), emit: collect)
        }
        for e in test.events {
            let event = e.event(start: start)
            if let until, event.instant > until { continue }
            sequencer.offer(event, emit: collect)
        }
        sequencer.finish(until: until, emit: collect)
        let afterwards = until != nil ? sequencer : nil
        let engine = sequencer.engine

        // What takes part.
        let inScope = records.filter { filter?.contains($0.rule) ?? true }
        let wantsSuppressed = test.expect.contains { $0.decision == .suppressed || $0.reason != nil }
        let compared = inScope.filter { $0.decision == .send || wantsSuppressed }
        let heldBack = inScope.filter { $0.decision == .suppressed && !wantsSuppressed }

        // Expectations that cannot match anything by construction are errors, not "missing".
        var customerIds = test.customers.map(\.id.value)
        for e in test.events where !customerIds.contains(e.customer.value) {
            customerIds.append(e.customer.value)
        }
        var valid: [Expectation] = []
        for e in test.expect {
            if let rule = e.rule, !known.contains(rule.value) {
                errors.append(
                    .error(
                        "unknown rule '\(rule.value)' in expect"
                            + Self.hint(
                                rule.value, in: ruleNames,
                                otherwise: "; the rules are \(Self.list(ruleNames))"),
                        at: rule.location))
            } else if let rule = e.rule, let filter, !filter.contains(rule.value) {
                errors.append(
                    .error(
                        "this expectation names rule '\(rule.value)', which the test's rules: leaves out; add it there",
                        at: rule.location))
            } else if let customer = e.customer, !customerIds.contains(customer) {
                errors.append(
                    .error(
                        "this expectation names customer '\(customer)', who is not among this test's customers or events"
                            + Self.hint(customer, in: customerIds, otherwise: ""),
                        at: e.location))
            } else {
                valid.append(e)
            }
        }

        // Pair and report.
        let pairs = Self.pair(valid, compared, start: start.instant)
        var differences = errors
        var unmatched = Set(compared.indices)
        for (ei, e) in valid.enumerated() {
            let line = SourceLocation(file: e.location.file, line: e.location.line)
            if let ri = pairs[ei] {
                unmatched.remove(ri)
                let r = compared[ri]
                for d in Self.fieldDifferences(e, r, start: start.instant) {
                    differences.append(
                        RuleTestDifference(
                            kind: .field, location: line, field: d.field, expected: d.expected,
                            actual: d.actual,
                            message:
                                "expected \(d.field) \(d.expected), got \(d.actual) (rule \(r.rule), customer \(r.customer))"
                        ))
                }
            } else {
                // A test about one customer means that customer even where the expectation does not say so.
                let zone = zone(of: e.customer ?? (customerIds.count == 1 ? customerIds[0] : nil), in: engine)
                var message = e.decision == .send ? "expected a message" : "expected a suppressed message"
                let what = Self.summary(of: e, start: start.instant, zone: zone)
                if !what.isEmpty { message += " (\(what))" }
                message += e.decision == .send ? " — none fired" : " — none was held back"
                if let until {
                    message += " by until \(zone.format(until))"
                    if var later = afterwards {
                        // Whether it would have come, had the clock run on, tells a wrong `until` from a wrong rule.
                        var rest: [MessageRecord] = []
                        later.finish(until: nil) { rest.append($0) }
                        rest = rest.filter {
                            Self.compatible(e, $0) && $0.decision.rawValue == e.decision.rawValue
                                && ($0.sendAt ?? $0.decidedAt) > until
                        }
                        if let r = rest.first {
                            message += " (one comes later, at \(r.zone.format(r.sendAt ?? r.decidedAt)))"
                        }
                    }
                }
                if e.decision == .send, let r = heldBack.first(where: { Self.compatible(e, $0) }) {
                    message += "; one was suppressed: \(r.reason?.rawValue ?? "?")"
                    if let detail = r.detail { message += " (\(detail))" }
                }
                differences.append(RuleTestDifference(kind: .missing, location: line, message: message))
            }
        }
        let testLine = SourceLocation(file: test.location.file, line: test.location.line)
        for ri in unmatched.sorted() {
            let r = compared[ri]
            differences.append(
                RuleTestDifference(
                    kind: .unexpected, location: testLine, message: "unexpected " + Self.describe(r)))
        }
        return RuleTestResult(
            name: test.name.value, location: test.location, differences: differences, records: records)
    }

    /// The customer's zone as the engine sees it (their `timezone` trait, else the default).
    private func zone(of customer: String?, in engine: Engine) -> Zone {
        guard let customer, let name = engine.customers[customer]?.timezone, let zone = Zone(name) else {
            return settings.scheduler.defaultZone
        }
        return zone
    }
}

/// The outcome of one rule test.
public struct RuleTestResult: Sendable {
    /// The test's name.
    public var name: String
    /// Where the test starts in its file.
    public var location: SourceLocation
    /// What differs from the expectations, in the order printed: errors, then per expectation, then
    /// unexpected messages.
    public var differences: [RuleTestDifference]
    /// Every decision the engine made during the test, before any filtering.
    public var records: [MessageRecord]

    /// `true` when nothing differs.
    public var passed: Bool { differences.isEmpty }

    /// A result.
    public init(
        name: String, location: SourceLocation, differences: [RuleTestDifference], records: [MessageRecord]
    ) {
        self.name = name
        self.location = location
        self.differences = differences
        self.records = records
    }
}

/// One way a test's outcome differs from what it expects.
public struct RuleTestDifference: Sendable, Hashable, CustomStringConvertible {
    /// What kind of difference.
    public enum Kind: String, Sendable, Hashable {
        /// An expectation matched a message except in ``RuleTestDifference/field``.
        case field
        /// An expected message did not fire.
        case missing
        /// A message fired that no expectation asked for.
        case unexpected
        /// The test itself is wrong (an unknown rule or customer): it cannot pass as written.
        case error
    }

    /// What kind of difference.
    public var kind: Kind
    /// The expectation's line (`field`, `missing`), the test's line (`unexpected`), or the exact place of
    /// the mistake (`error`).
    public var location: SourceLocation
    /// The field that differs (`send_at`, `channel`, …) for `field`.
    public var field: String?
    /// The expected value, as printed, for `field`.
    public var expected: String?
    /// The actual value, as printed, for `field`.
    public var actual: String?
    /// The explanation, without the place.
    public var message: String

    /// A difference.
    public init(
        kind: Kind, location: SourceLocation, field: String? = nil, expected: String? = nil,
        actual: String? = nil,
        message: String
    ) {
        self.kind = kind
        self.location = location
        self.field = field
        self.expected = expected
        self.actual = actual
        self.message = message
    }

    static func error(_ message: String, at location: SourceLocation) -> RuleTestDifference {
        RuleTestDifference(kind: .error, location: location, message: message)
    }

    /// `path:line: message`, or `path:line:col: error: message` for an error.
    public var description: String {
        kind == .error ? "\(location): error: \(message)" : "\(location): \(message)"
    }
}

/// The outcome of a run over test files.
public struct RuleTestReport: Sendable {
    /// One result per test, in file order.
    public var results: [RuleTestResult] = []
    /// Problems reading the test files (a test with errors is not run).
    public var diagnostics: [Diagnostic] = []

    /// An empty report.
    public init() {}

    /// Tests that passed.
    public var passed: Int { results.filter(\.passed).count }
    /// Tests that failed.
    public var failed: Int { results.count - passed }
    /// `true` when a test failed or a test file has errors: the run should exit 1.
    public var isFailure: Bool { failed > 0 || diagnostics.contains { $0.severity == .error } }
    /// `N passed, M failed`: the last line of a run, the one CI reads.
    public var summary: String { "\(passed) passed, \(failed) failed" }
}
