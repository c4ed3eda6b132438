import Expressions
import Rules
import Scheduler
import Templates
import TouchpointCore

/// A loaded project: config, rules, templates, and every diagnostic about them and between them.
///
/// `check`, `dry-run`, `test` and the daemon all start here, so they agree on what is valid.
public struct Project: Sendable {
    public var config: Config
    public var ruleSet: RuleSet
    public var book: RuleBook
    public var templates: TemplateSet
    /// Sorted by file, line and column; errors and warnings together.
    public var diagnostics: [Diagnostic]
    /// Each channel's `unsubscribe-url`, compiled at load (a broken one is a diagnostic and left out).
    public var unsubscribeLinks: [Channel: LinkTemplate] = [:]

    /// Loads config (`configPath`, or `./touchpoint.yaml`, or built-in defaults), then its rules and templates.
    public static func load(configPath: String?, environment: [String: String]) -> Project {
        let (config, configDiagnostics) = Config.load(path: configPath, environment: environment)
        let (ruleSet, ruleDiagnostics) = RuleSet.load(directory: config.rulesDirectory)
        let (templates, templateDiagnostics) = TemplateSet.load(directory: config.templatesDirectory)
        return assemble(
            config: config, ruleSet: ruleSet, templates: templates,
            diagnostics: configDiagnostics + ruleDiagnostics + templateDiagnostics,
            vocabulary: Vocabulary.gather(config: config, ruleSet: ruleSet))
    }

    /// Compiles and cross-checks already-loaded parts (tests build projects from strings this way).
    public static func assemble(
        config: Config, ruleSet: RuleSet, templates: TemplateSet, diagnostics: [Diagnostic],
        vocabulary: Vocabulary? = nil
    ) -> Project {
        var diagnostics = diagnostics
        var templates = templates
        // A Slack chat channel gets its customer data escaped as mrkdwn, in dry-run and daemon alike.
        templates.slackChat = config.channels[.chat]?.options["format"]?.value.stringValue == "slack"
        let (book, compileDiagnostics) = RuleBook.compile(ruleSet.rules)
        diagnostics += compileDiagnostics
        diagnostics += templates.checkVariables()
        diagnostics += templates.checkSlackLimits()
        let cross = CrossCheck(
            config: config, book: book, ruleSet: ruleSet, templates: templates, vocabulary: vocabulary)
        diagnostics += cross.run()
        // From files beside the project (rule tests, the events folder): a project built from strings has none.
        if let vocabulary { diagnostics += cross.vocabularyWarnings(vocabulary) }
        let (links, linkDiagnostics) = compileLinks(config)
        diagnostics += linkDiagnostics
        var seen = Set<Diagnostic>()
        diagnostics = diagnostics.filter { seen.insert($0).inserted }
        diagnostics.sort { a, b in
            switch (a.location, b.location) {
            case (nil, nil): return a.message < b.message
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?): return x < y
            }
        }
        return Project(
            config: config, ruleSet: ruleSet, book: book, templates: templates, diagnostics: diagnostics,
            unsubscribeLinks: links)
    }

    /// Every channel's `unsubscribe-url` as a link template, with errors placed in the config.
    static func compileLinks(_ config: Config) -> ([Channel: LinkTemplate], [Diagnostic]) {
        var links: [Channel: LinkTemplate] = [:]
        var diagnostics: [Diagnostic] = []
        for (channel, c) in config.channels.sorted(by: { $0.key < $1.key }) {
            guard let option = c.options["unsubscribe-url"] ?? c.options["unsubscribe_url"] else { continue }
            guard case .string(let text) = option.value else {
                diagnostics.append(.error("bad-value", "'unsubscribe-url' must be text", at: option.location))
                continue
            }
            let located = Located(
                text, at: option.location, style: option.style, isVerbatim: option.isVerbatim,
                places: option.places)
            switch LinkTemplate.parse(text) {
            case .success(let link):
                let problems = link.problems(roots: EngineSettings.linkRoots)
                for problem in problems {
                    diagnostics.append(
                        .error(
                            "unknown-variable",
                            "\(problem.message) in channels.\(channel.rawValue).unsubscribe-url",
                            at: located.location(atScalarOffset: problem.offset)))
                }
                if problems.isEmpty { links[channel] = link }
            case .failure(let problem):
                diagnostics.append(
                    .error(
                        "template-syntax",
                        "\(problem.message) in channels.\(channel.rawValue).unsubscribe-url",
                        at: located.location(atScalarOffset: problem.offset)))
            }
        }
        return (links, diagnostics)
    }

    /// `true` when any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Engine settings from the config.
    public func engineSettings(explain: String? = nil) -> EngineSettings {
        var scheduler = SchedulerSettings()
        scheduler.quietHours = config.quietHours
        scheduler.defaultZone = config.defaultTimezone
        scheduler.frequencyCap = config.frequencyCap
        scheduler.exploration = config.exploration
        var settings = EngineSettings(
            scheduler: scheduler, unsubscribeLinks: unsubscribeLinks, maxLateness: config.maxLateness,
            explainCustomer: explain)
        settings.holdout = Holdout(key: config.holdoutKey)
        settings.holdoutShare = config.holdout
        settings.links = config.http.map { LinkTracker(publicURL: $0.publicURL, secret: $0.secret) }
        return settings
    }
}

extension Located where Value == String {
    /// The place of a character offset reported by the expression parser.
    func location(atOffset offset: Int) -> SourceLocation { location(atScalarOffset: offset) }
}

extension RenderFailure {
    /// The SPEC §6 suppression reason for this failure.
    var suppression: SuppressionReason { SuppressionReason(rawValue: reason) ?? .renderError }
}
