import Expressions
import Rules
import Templates
import TouchpointCore

/// The checks that span files: rule → template, rule → channel adapter, template → channel variant,
/// expression variables, and rules that can never fire (SPEC §8).
struct CrossCheck {
    let config: Config
    let book: RuleBook
    let ruleSet: RuleSet
    let templates: TemplateSet
    /// What rule tests, example events and declarations know; a name they use is never a typo.
    var vocabulary: Vocabulary? = nil

    func run() -> [Diagnostic] {
        var out: [Diagnostic] = []
        let templateNames = templates.templateNames
        let ruleNames = Set(ruleSet.names)
        // Every event name a rule mentions, to catch `Order Complete` against `Order Completed`.
        var eventNames = Set<String>()
        for rule in ruleSet.rules {
            if case .event(let name, _) = rule.trigger { eventNames.insert(name.value) }
            for c in rule.unless { eventNames.insert(c.event.value) }
        }

        for compiled in book.rules {
            let rule = compiled.rule
            let template = rule.send.template
            if !templateNames.contains(template.value) {
                out.append(
                    .error(
                        "unknown-template",
                        "rule '\(rule.name.value)' sends template '\(template.value)', which does not exist in "
                            + "\(config.templatesDirectory)\(Suggest.didYouMean(template.value, in: templateNames))",
                        at: template.location))
            } else {
                let has = templates.channels(template: template.value)
                for channel in rule.send.channels where !has.contains(channel.value) {
                    out.append(
                        .error(
                            "missing-template-channel",
                            "template '\(template.value)' has no \(channel.value.rawValue) variant "
                                + "(\(config.templatesDirectory)/\(template.value)/\(channel.value.rawValue).mustache)",
                            at: channel.location))
                }
            }
            for channel in rule.send.channels where config.channels[channel.value] == nil {
                out.append(
                    .error(
                        "channel-without-adapter",
                        "channel '\(channel.value.rawValue)' has no adapter under 'channels:' in the config",
                        at: channel.location))
            }
            if case .event(_, let cond?) = rule.trigger, let e = compiled.condition {
                out += checkFields(e, at: cond, rule: rule.name.value)
                if case .success(false) = e.test([:]) {
                    out.append(
                        .warning(
                            "never-fires",
                            "condition '\(cond.value)' is always false: rule '\(rule.name.value)' never fires",
                            at: cond.location))
                }
            }
            for (c, compiledCancel) in zip(rule.unless, compiled.cancels) {
                if ruleNames.contains(c.event.value) {
                    out.append(
                        .error(
                            "unless-names-rule",
                            "'unless' lists events, and '\(c.event.value)' is a rule name, not an event",
                            at: c.event.location))
                }
                if let cond = c.condition, let e = compiledCancel.condition {
                    out += checkFields(e, at: cond, rule: rule.name.value)
                }
                let others = eventNames.subtracting([c.event.value])
                if vocabulary?.events.contains(c.event.value) != true,
                    let near = Suggest.nearest(c.event.value, in: others), near != c.event.value,
                    Suggest.distance(near, c.event.value) <= 2
                {
                    out.append(
                        .warning(
                            "similar-event-name",
                            "'unless' event '\(c.event.value)' is not used elsewhere; did you mean '\(near)'?",
                            at: c.event.location))
                }
            }
            out += checkQuietHours(rule)
            out += checkSMS(rule)
            out += checkUrgency(rule)
        }
        return out
    }

    /// `send.urgency` is explained where it is written (a note), and flagged where it cannot matter.
    private func checkUrgency(_ rule: Rule) -> [Diagnostic] {
        guard let urgency = rule.send.urgency else { return [] }
        let name = rule.name.value
        if rule.transactional {
            return [
                .warning(
                    "urgency-unused",
                    "rule '\(name)' is transactional and is sent when due, so 'urgency' has no effect",
                    at: urgency.location)
            ]
        }
        guard rule.send.within > .zero else {
            return [
                .warning(
                    "urgency-unused",
                    "rule '\(name)' has no send window ('within'), so 'urgency' has no effect",
                    at: urgency.location)
            ]
        }
        let u = urgency.value
        return [
            Diagnostic(
                .note, code: "urgency",
                "rule '\(name)': a send \(u) after due is worth half, \(TimeSpan(seconds: 2 * u.seconds)) after a "
                    + "quarter, so inside its \(rule.send.within) window the scheduler waits for a later hour only "
                    + "when that hour is enough more likely to be opened (twice as likely \(u) later); without "
                    + "'urgency' it takes the most likely hour anywhere in the window",
                at: urgency.location)
        ]
    }

    /// Variables in an expression must start at `event` or `customer`; `event` has a fixed shape.
    private func checkFields(_ e: Expression, at located: Located<String>, rule: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for path in e.fieldPaths {
            let place = located.location(atOffset: path.offset)
            switch path.root {
            case "event":
                if path.components.count > 1 {
                    let field = path.components[1]
                    let known = ["name", "timestamp", "properties", "message_id"]
                    if !known.contains(field) {
                        out.append(
                            .error(
                                "unknown-variable",
                                "'event' has no field '\(field)' (it has \(known.joined(separator: ", ")))"
                                    + Suggest.didYouMean(field, in: known),
                                at: place))
                    }
                }
            case "customer":
                break
            default:
                out.append(
                    .error(
                        "unknown-variable",
                        "unknown variable '\(path.root)' (expressions see 'event' and 'customer')"
                            + Suggest.didYouMean(path.root, in: ["event", "customer"]),
                        at: place))
            }
        }
        return out
    }

    /// A non-transactional rule whose send window is shorter than the quiet hours can have its whole
    /// window fall inside them: those messages are suppressed with `quiet-hours`.
    private func checkQuietHours(_ rule: Rule) -> [Diagnostic] {
        guard !rule.transactional, let quiet = config.quietHours else { return [] }
        let quietSeconds = Int64(quiet.duration) * 60
        guard rule.send.within.seconds < quietSeconds else { return [] }
        if quiet.duration >= 1440 {
            return [
                .error(
                    "never-fires",
                    "quiet hours \(quiet) cover the whole day: rule '\(rule.name.value)' never sends",
                    at: rule.name.location)
            ]
        }
        return [
            .warning(
                "quiet-hours-window",
                "send window 'within: \(rule.send.within)' is shorter than quiet hours \(quiet): a message due at "
                    + "the start of quiet hours is suppressed (quiet-hours); use 'within: "
                    + "\(TimeSpan(seconds: quietSeconds))' or more to delay it instead",
                at: rule.name.location)
        ]
    }

    /// SMS templates longer than the configured number of segments cost more than authors expect.
    private func checkSMS(_ rule: Rule) -> [Diagnostic] {
        guard rule.send.channels.contains(where: { $0.value == .sms }) else { return [] }
        var out: [Diagnostic] = []
        let name = rule.send.template.value
        for locale in templates.locales(template: name, channel: .sms) {
            guard let info = templates.estimateSMS(template: name, locale: locale),
                info.segments > config.smsSegmentWarning,
                let file = templates.file(template: name, channel: .sms, locale: locale)
            else { continue }
            out.append(
                .warning(
                    "sms-segments",
                    "SMS template is at least \(info.segments) segments (\(info.encoding.rawValue), \(info.units) units); "
                        + "the warning threshold is \(config.smsSegmentWarning)",
                    at: SourceLocation(file: file.path, line: 1, column: 1)))
        }
        return out
    }
}
