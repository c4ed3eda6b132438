import Expressions
import Rules
import Templates
import TouchpointCore

/// `check`'s warnings against what the project's own data knows (``Vocabulary``): a comparison that fails
/// at run time, a template trait nothing sets, a `when` event nothing else names.
extension CrossCheck {
    /// Traits the engine itself reads (addresses, locale, timezone) or sets (`id`): always known.
    static let builtInTraits: Set<String> = ["id", "email", "phone", "chat_id", "locale", "timezone", "name"]

    func vocabularyWarnings(_ v: Vocabulary) -> [Diagnostic] {
        comparisonWarnings(v) + traitWarnings(v) + whenEventWarnings(v)
    }

    /// An ordering comparison across types throws at run time and the condition counts as false: between
    /// two literals, a string against a path the data shows (or other rules compare) as a number, a string
    /// that is a number written in quotes, and a number against a path only ever seen as a string.
    func comparisonWarnings(_ v: Vocabulary) -> [Diagnostic] {
        var types = v.types
        var conditions: [(Located<String>, Expression, String)] = []
        for compiled in book.rules {
            let rule = compiled.rule
            if case .event(_, let cond?) = rule.trigger, let e = compiled.condition {
                conditions.append((cond, e, rule.name.value))
            }
            for (c, cancel) in zip(rule.unless, compiled.cancels) {
                if let cond = c.condition, let e = cancel.condition {
                    conditions.append((cond, e, rule.name.value))
                }
            }
        }
        // What other comparisons say a path holds: `price >= 10` in one rule makes price a number.
        for (_, e, _) in conditions {
            for c in e.literalComparisons {
                guard let path = c.path, c.literal.typeName == "number" else { continue }
                types[path, default: []].insert("number")
            }
        }
        var out: [Diagnostic] = []
        for (cond, e, rule) in conditions {
            for c in e.literalComparisons {
                let at = c.offset.map { cond.location(atScalarOffset: $0) } ?? cond.location
                let literal = c.literal.jsonText
                if let other = c.otherLiteral {
                    guard other.typeName != c.literal.typeName else { continue }
                    out.append(
                        .warning(
                            "type-mismatch",
                            "rule '\(rule)': '\(other.jsonText) \(c.op) \(literal)' compares a \(other.typeName) "
                                + "with a \(c.literal.typeName): it fails at run time and the condition counts as false",
                            at: at))
                    continue
                }
                guard let path = c.path else { continue }
                let seen = types[path] ?? []
                switch c.literal {
                case .string(let s):
                    let quotedNumber = Double(s.trimmingCharacters(in: .whitespaces)) != nil
                    guard seen.contains("number") || (quotedNumber && !seen.contains("string")) else {
                        continue
                    }
                    out.append(
                        .warning(
                            "type-mismatch",
                            "rule '\(rule)': '\(path) \(c.op) \(literal)' compares with a string, but '\(path)' is "
                                + "a number\(seen.contains("number") ? " in the rule tests, example events or other rules" : "")"
                                + ": at run time this fails (cannot compare number and string) and the condition "
                                + "counts as false\(quotedNumber ? "; write \(s) without quotes" : "")",
                            at: at))
                case .number:
                    guard seen == ["string"] else { continue }
                    out.append(
                        .warning(
                            "type-mismatch",
                            "rule '\(rule)': '\(path) \(c.op) \(literal)' compares with a number, but '\(path)' is "
                                + "a string in the rule tests and example events: at run time this fails "
                                + "(cannot compare string and number) and the condition counts as false",
                            at: at))
                default:
                    continue
                }
            }
        }
        return out
    }

    /// `{{customer.frist_name}}` renders empty (or is suppressed `missing-variable`) for every customer when
    /// no customer has the trait; a trait no rule test, example event or `customer-traits:` sets is flagged.
    func traitWarnings(_ v: Vocabulary) -> [Diagnostic] {
        guard v.knowsTraits else { return [] }
        let known = v.traits.union(Self.builtInTraits)
        var out: [Diagnostic] = []
        for name in templates.templateNames {
            for variable in templates.variables(template: name) {
                guard variable.path.count >= 2, variable.path[0] == "customer" else { continue }
                let trait = variable.path[1]
                guard !known.contains(trait) else { continue }
                out.append(
                    .warning(
                        "unknown-trait",
                        "template '\(name)' uses 'customer.\(trait)', a trait no rule test, example event or "
                            + "'customer-traits:' in the config sets\(Suggest.didYouMean(trait, in: known.sorted()))",
                        at: SourceLocation(file: variable.file, line: variable.line, column: variable.column))
                )
            }
        }
        return out
    }

    /// A `when: { event: … }` name that appears nowhere else (no `unless`, rule test, example event or
    /// `events:` declaration) and is a near miss of one that does: the same warning `unless` gets.
    func whenEventWarnings(_ v: Vocabulary) -> [Diagnostic] {
        var elsewhere = v.events
        var triggers: [String: Int] = [:]
        for rule in ruleSet.rules {
            for c in rule.unless { elsewhere.insert(c.event.value) }
            if case .event(let name, _) = rule.trigger { triggers[name.value, default: 0] += 1 }
        }
        var out: [Diagnostic] = []
        for rule in ruleSet.rules {
            guard case .event(let name, _) = rule.trigger else { continue }
            // Two rules on one event name each other; one alone stands out.
            guard !elsewhere.contains(name.value), triggers[name.value, default: 0] < 2 else { continue }
            let others = elsewhere.union(triggers.keys).subtracting([name.value])
            guard let near = Suggest.nearest(name.value, in: others), Suggest.distance(near, name.value) <= 2
            else { continue }
            out.append(
                .warning(
                    "similar-event-name",
                    "'when' event '\(name.value)' is not used elsewhere; did you mean '\(near)'?",
                    at: name.location))
        }
        return out
    }
}
