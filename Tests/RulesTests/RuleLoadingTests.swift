import Testing
import TouchpointCore

@testable import Rules

@Suite("Rule files")
struct RuleLoadingTests {
    @Test("the SPEC §2 example loads exactly, with every field and its place")
    func specExample() throws {
        let (set, errors) = parseRules(specRules, file: "rules/shop.yaml")
        #expect(errors == [])
        #expect(set.names == ["cart-abandoned", "win-back", "thank-you"])

        let cart = try #require(set["cart-abandoned"])
        #expect(cart.name.location == SourceLocation(file: "rules/shop.yaml", line: 2, column: 11))
        #expect(cart.location == SourceLocation(file: "rules/shop.yaml", line: 2, column: 5))
        #expect(cart.description == "Remind shoppers who left something in their cart.")
        guard case .event(let name, let condition) = cart.trigger else {
            Issue.record("expected an event trigger")
            return
        }
        #expect(name.value == "Product Added")
        #expect(name.location == SourceLocation(file: "rules/shop.yaml", line: 5, column: 14))
        let expr = try #require(condition)
        #expect(expr.value == "event.properties.price >= 10")
        #expect(expr.location == SourceLocation(file: "rules/shop.yaml", line: 6, column: 11))
        #expect(expr.style == .plain)
        #expect(expr.isVerbatim)
        #expect(cart.wait == .hours(1))
        #expect(cart.unless.map(\.event.value) == ["Order Completed"])
        #expect(cart.unless[0].condition == nil && cart.unless[0].same.isEmpty)
        #expect(cart.restart)
        #expect(cart.send.template.value == "cart-reminder")
        #expect(cart.send.channels.map(\.value) == [.email, .sms, .chat])
        #expect(cart.send.channels.map(\.location.column) == [18, 25, 30])
        #expect(cart.send.within == .hours(24))
        #expect(cart.oncePer == .days(7))
        #expect(cart.priority == 10)
        #expect(!cart.transactional)

        let winBack = try #require(set["win-back"])
        #expect(winBack.trigger == .inactive(.days(30)))
        #expect(winBack.send.channels.map(\.value) == [.email, .chat])
        #expect(winBack.send.within == .days(3))
        #expect(winBack.wait == .zero && winBack.oncePer == nil && winBack.priority == 0)

        let thanks = try #require(set["thank-you"])
        #expect(thanks.transactional)
        #expect(thanks.send.within == .zero)
        #expect(thanks.unless.isEmpty)
    }

    @Test("unless takes names and {event, if, same} entries; restart can be turned off")
    func unlessForms() throws {
        let (set, errors) = parseRules(
            """
            rules:
              - name: cart
                when: { event: Product Added }
                unless:
                  - Order Completed
                  - { event: Cart Emptied, if: "event.properties.count == 0", same: [cart_id, store] }
                  - event: Order Placed
                    same: cart_id
                restart: false
                send: { template: t, channels: [sms] }
            """)
        #expect(errors == [])
        let rule = try #require(set["cart"])
        #expect(!rule.restart)
        #expect(rule.unless.count == 3)
        #expect(rule.unless[0] == CancelCondition(event: rule.unless[0].event))
        #expect(rule.unless[1].event.value == "Cart Emptied")
        let condition = try #require(rule.unless[1].condition)
        #expect(condition.value == "event.properties.count == 0")
        #expect(condition.style == .doubleQuoted)
        // After the opening quote.
        #expect(condition.location == SourceLocation(file: "r.yaml", line: 6, column: 37))
        #expect(rule.unless[1].same.map(\.value) == ["cart_id", "store"])
        #expect(rule.unless[2].same.map(\.value) == ["cart_id"])
    }

    @Test("a lone unless name is a list of one")
    func unlessScalar() throws {
        let (set, errors) = parseRules(rule("    unless: Order Completed"))
        #expect(errors == [])
        #expect(set["r1"]?.unless.map(\.event.value) == ["Order Completed"])
    }

    @Test("an unknown key is an error at the key, with the nearest known key")
    func unknownKeyDidYouMean() {
        let (set, errors) = parseRules(
            """
            rules:
              - name: cart
                when: { event: X }
                send:
                  template: t
                  channels: [email]
                  witin: 1h
            """, file: "rules/cart.yaml")
        #expect(errors == ["rules/cart.yaml:7:7: error: unknown key 'witin' in send; did you mean 'within'?"])
        #expect(set.rules.isEmpty)
    }

    @Test("a key without a near miss gets no suggestion")
    func unknownKeyNoSuggestion() {
        let (_, errors) = parseRules(rule("    zzzzzz: 1"))
        #expect(errors == ["r.yaml:5:5: error: unknown key 'zzzzzz' in rule"])
    }

    @Test("a send key indented to the rule's level is caught and placed")
    func misindentedKeyOut() {
        let (set, errors) = parseRules(
            """
            rules:
              - name: a
                when: {event: X}
                send:
                  template: t
                  channels: [email]
                within: 1h
            """)
        #expect(
            errors == [
                "r.yaml:7:5: error: unknown key 'within' in rule; 'within' belongs under 'send', check its indentation"
            ])
        #expect(set.rules.isEmpty)
    }

    @Test("a rule key indented into send is caught and placed")
    func misindentedKeyIn() {
        let (_, errors) = parseRules(
            """
            rules:
              - name: a
                when: {event: X}
                send:
                  template: t
                  channels: [email]
                  priority: 3
            """)
        #expect(
            errors == [
                "r.yaml:7:7: error: unknown key 'priority' in send; 'priority' belongs to the rule itself, check its indentation"
            ])
    }

    @Test("a key indented under a channels list is a syntax error at that line")
    func misindentedUnderList() {
        let (_, errors) = parseRules(
            """
            rules:
              - name: a
                when: {event: X}
                send:
                  template: t
                  channels:
                    - email
                    within: 1h
            """)
        #expect(errors.count == 1)
        #expect(
            errors.first?.hasPrefix("r.yaml:8:9: error: invalid YAML: did not find expected '-' indicator")
                == true)
        #expect(errors.first?.hasSuffix("check the indentation of this line") == true)
    }

    @Test("a key indented deeper than a list item is a syntax error")
    func misindentedDeeper() {
        let (_, errors) = parseRules(
            """
            rules:
              - name: a
                when: {event: X}
                send:
                  template: t
                  channels:
                    - email
                      within: 1h
            """)
        #expect(errors.count == 1)
        #expect(
            errors.first?.hasPrefix("r.yaml:8:17: error: invalid YAML: mapping values are not allowed")
                == true)
    }

    @Test("a wrong type names the key, the expected and the found type")
    func wrongTypes() {
        #expect(
            parseRules(rule("    priority: high")).1 == [
                "r.yaml:5:15: error: 'priority' must be an integer, found a string"
            ])
        #expect(
            parseRules(rule("    priority: 1.5")).1 == [
                "r.yaml:5:15: error: 'priority' must be an integer, found a number"
            ])
        #expect(
            parseRules(rule("    transactional: yes")).1 == [
                "r.yaml:5:20: error: 'transactional' must be true or false, found a string"
            ])
        #expect(
            parseRules(rule("    restart: 1")).1 == [
                "r.yaml:5:14: error: 'restart' must be true or false, found an integer"
            ])
        #expect(
            parseRules(rule("    limit: 7d")).1 == [
                "r.yaml:5:12: error: 'limit' must be a mapping, found a string"
            ])
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {event: X}\n    send: {template: t, channels: email}\n"
            ).1
                == ["r.yaml:4:35: error: 'channels' must be a list, found a string"])
        #expect(
            parseRules("rules:\n  - just-a-name\n").1 == [
                "r.yaml:2:5: error: 'rule' must be a mapping, found a string"
            ])
        #expect(
            parseRules("rules: nope\n").1 == ["r.yaml:1:8: error: 'rules' must be a list, found a string"])
        #expect(
            parseRules("- a\n").1 == [
                "r.yaml:1:1: error: a rule file lists its rules under a top-level 'rules:' key, found a bare list"
            ])
    }

    @Test("missing required keys are reported at the mapping that lacks them")
    func missingKeys() {
        #expect(
            parseRules("rules:\n  - when: {event: X}\n    send: {template: t, channels: [email]}\n").1
                == ["r.yaml:2:5: error: missing required key 'name' in rule"])
        #expect(
            parseRules("rules:\n  - name: a\n    send: {template: t, channels: [email]}\n").1
                == ["r.yaml:2:5: error: missing required key 'when' in rule"])
        #expect(
            parseRules("rules:\n  - name: a\n    when: {event: X}\n").1
                == ["r.yaml:2:5: error: missing required key 'send' in rule"])
        #expect(
            parseRules("rules:\n  - name: a\n    when: {event: X}\n    send: {channels: [email]}\n").1
                == ["r.yaml:4:11: error: missing required key 'template' in send"])
        #expect(
            parseRules("rules:\n  - name: a\n    when: {event: X}\n    send:\n      template: t\n").1
                == ["r.yaml:5:7: error: missing required key 'channels' in send"])
        #expect(
            parseRules(rule("    limit: {}")).1 == [
                "r.yaml:5:12: error: missing required key 'once-per' in limit"
            ])
        #expect(
            parseRules("other: 1\n").1 == [
                "r.yaml:1:1: error: unknown key 'other' in a rule file",
                "r.yaml:1:1: error: missing required key 'rules' in a rule file",
            ])
    }

    @Test("when takes exactly one of event and inactive, and if only with event")
    func whenForms() {
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {event: X, inactive: 3d}\n    send: {template: t, channels: [email]}\n"
            ).1
                == ["r.yaml:3:22: error: 'when' takes either 'event' or 'inactive', not both"])
        #expect(
            parseRules("rules:\n  - name: a\n    when: {}\n    send: {template: t, channels: [email]}\n").1
                == ["r.yaml:3:11: error: 'when' needs 'event' or 'inactive'"])
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {inactive: 3d, if: x > 1}\n    send: {template: t, channels: [email]}\n"
            ).1
                == ["r.yaml:3:26: error: 'if' applies only to 'event' triggers, not 'inactive'"])
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {inactive: 0s}\n    send: {template: t, channels: [email]}\n"
            ).1
                == ["r.yaml:3:22: error: 'inactive' must be longer than 0"])
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {event: X, if: ''}\n    send: {template: t, channels: [email]}\n"
            ).1
                == ["r.yaml:3:27: error: 'if' must not be empty"])
    }

    @Test("a bad duration names the accepted forms; a bare number asks for a unit")
    func badDurations() {
        #expect(
            parseRules(rule("    wait: 1 hour")).1
                == [
                    "r.yaml:5:11: error: 'wait' is not a duration: '1 hour'; write a duration like 45s, 15m, 1h, 1h30m, 7d or 2w"
                ])
        #expect(
            parseRules(rule("    wait: 30m1h")).1
                == [
                    "r.yaml:5:11: error: 'wait' is not a duration: '30m1h'; write a duration like 45s, 15m, 1h, 1h30m, 7d or 2w"
                ])
        #expect(
            parseRules(rule("    wait: 90")).1
                == [
                    "r.yaml:5:11: error: 'wait' needs a unit: '90' is a bare number; write a duration like 45s, 15m, 1h, 1h30m, 7d or 2w"
                ])
        #expect(
            parseRules(rule("    limit: { once-per: [1] }")).1
                == [
                    "r.yaml:5:24: error: 'once-per' must be a duration like 45s, 15m, 1h, 1h30m, 7d or 2w, found a list"
                ])
        let (set, errors) = parseRules(rule("    wait: 0\n    limit: { once-per: 1h30m }"))
        #expect(errors == [])
        #expect(set["r1"]?.wait == .zero)
        #expect(set["r1"]?.oncePer == TimeSpan(seconds: 5400))
    }

    @Test("channels: unknown names get a suggestion, repeats and empty lists are errors")
    func channelErrors() {
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {event: X}\n    send: {template: t, channels: [email, emial]}\n"
            ).1
                == ["r.yaml:4:43: error: unknown channel 'emial'; did you mean 'email'?"])
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {event: X}\n    send: {template: t, channels: [push]}\n"
            ).1
                == ["r.yaml:4:36: error: unknown channel 'push'; channels are email, sms and chat"])
        #expect(
            parseRules(
                "rules:\n  - name: a\n    when: {event: X}\n    send: {template: t, channels: [sms, sms]}\n"
            ).1
                == ["r.yaml:4:41: error: channel 'sms' is listed twice; first at line 4, column 36"])
        #expect(
            parseRules("rules:\n  - name: a\n    when: {event: X}\n    send: {template: t, channels: []}\n").1
                == ["r.yaml:4:35: error: 'channels' must list at least one channel"])
    }

    @Test("a rule with errors is left out while the others load")
    func badRuleLeftOut() {
        let (set, errors) = parseRules(
            """
            rules:
              - name: good
                when: { event: X }
                send: { template: t, channels: [email] }
              - name: bad
                when: { event: X }
                send: { template: t, channels: [fax] }
              - name: also-good
                when: { inactive: 2w }
                send: { template: t, channels: [chat] }
            """)
        #expect(set.names == ["good", "also-good"])
        #expect(errors.count == 1)
    }

    @Test("a duplicate rule name points at the second and names the first")
    func duplicateNameInFile() {
        let (set, errors) = parseRules(
            rule() + "  - name: r1\n    when: {event: Y}\n    send: {template: t, channels: [sms]}\n")
        #expect(
            errors == ["r.yaml:5:11: error: duplicate rule name 'r1'; it is first defined at r.yaml:2:11"])
        #expect(set.rules.count == 1)
        #expect(set["r1"]?.send.channels.first?.value == .email)
    }

    @Test("rule names are unique across files")
    func duplicateNameAcrossFiles() {
        let (set, diagnostics) = RuleSet.parse([
            (file: "rules/a.yaml", yaml: rule(name: "shared")),
            (
                file: "rules/b.yaml",
                yaml:
                    "rules:\n  - name: other\n    when: {event: X}\n    send: {template: t, channels: [sms]}\n  - name: shared\n    when: {event: Y}\n    send: {template: t, channels: [sms]}\n"
            ),
        ])
        #expect(
            diagnostics.map(\.description) == [
                "rules/b.yaml:5:11: error: duplicate rule name 'shared'; it is first defined at rules/a.yaml:2:11"
            ])
        #expect(diagnostics.first?.code == "duplicate-rule")
        #expect(set.names == ["shared", "other"])
    }

    @Test("a repeated key in a mapping is an error at the repeat")
    func duplicateKey() {
        let (_, errors) = parseRules(
            "rules:\n  - name: a\n    when: {event: X}\n    name: b\n    send: {template: t, channels: [sms]}\n"
        )
        #expect(errors == ["r.yaml:4:5: error: duplicate key 'name'; it is first set at line 2, column 5"])
        let (_, flow) = parseRules(
            "rules:\n  - name: a\n    when: {event: X, event: Y}\n    send: {template: t, channels: [sms]}\n")
        #expect(flow == ["r.yaml:3:22: error: duplicate key 'event'; it is first set at line 3, column 12"])
    }

    @Test("YAML syntax errors carry the line and column Yams reports")
    func syntaxError() {
        let (set, diagnostics) = RuleSet.parse(yaml: "rules:\n  - name: \"unterminated\n", file: "r.yaml")
        #expect(set.rules.isEmpty)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.code == "yaml-syntax")
        #expect(diagnostics.first?.location?.line == 3)
        #expect(diagnostics.first?.message.hasPrefix("invalid YAML: found unexpected end of stream") == true)
    }

    @Test("a tab in indentation is named as such, at the tab")
    func tabs() {
        let (_, errors) = parseRules("rules:\n  - name: a\n\twhen: {event: X}\n")
        #expect(errors == ["r.yaml:3:1: error: tab character in indentation; YAML indents with spaces only"])
    }

    @Test("an empty file or an empty rules list loads nothing without errors")
    func emptyFiles() {
        #expect(parseRules("").1 == [])
        #expect(parseRules("# only a comment\n").1 == [])
        #expect(parseRules("rules:\n").1 == [])
        #expect(parseRules("rules: []\n").0.rules.isEmpty)
    }

    @Test("names written as numbers are read as their text; null and booleans are not names")
    func scalarNames() {
        let (set, errors) = parseRules(
            "rules:\n  - name: 2024\n    when: {event: 404}\n    send: {template: 7, channels: [sms]}\n")
        #expect(errors == [])
        #expect(set["2024"]?.send.template.value == "7")
        #expect(
            parseRules(
                "rules:\n  - name: ~\n    when: {event: X}\n    send: {template: t, channels: [sms]}\n"
            ).1 == [
                "r.yaml:2:11: error: 'name' must be a string, found nothing (null)"
            ])
        #expect(
            parseRules(
                "rules:\n  - name: true\n    when: {event: X}\n    send: {template: t, channels: [sms]}\n"
            ).1 == [
                "r.yaml:2:11: error: 'name' must be a string, found a boolean"
            ])
    }

    @Test("every diagnostic carries a stable code")
    func codes() {
        let (_, diagnostics) = RuleSet.parse(yaml: rule("    witin: 1\n    priority: x"), file: "r.yaml")
        #expect(diagnostics.map(\.code) == ["unknown-key", "wrong-type"])
        #expect(diagnostics.allSatisfy { $0.severity == .error })
    }
}

@Suite("send.urgency")
struct UrgencyLoadingTests {
    func send(_ extra: String) -> String {
        """
        rules:
          - name: cart
            when: { event: X }
            send:
              template: t
              channels: [email]
              within: 24h
        \(extra)
        """
    }

    @Test("urgency is a duration kept with its place")
    func loads() throws {
        let (set, errors) = parseRules(send("      urgency: 6h"), file: "rules/cart.yaml")
        #expect(errors == [])
        let urgency = try #require(set["cart"]?.send.urgency)
        #expect(urgency.value == .hours(6))
        #expect(urgency.location == SourceLocation(file: "rules/cart.yaml", line: 8, column: 16))
    }

    @Test("without urgency the rule has none")
    func absent() {
        let (set, errors) = parseRules(send(""))
        #expect(errors == [])
        #expect(set["cart"]?.send.urgency == nil)
    }

    @Test("a misspelt urgency is an error with the nearest key")
    func didYouMean() {
        let (_, errors) = parseRules(send("      urgncy: 6h"), file: "rules/cart.yaml")
        #expect(
            errors == ["rules/cart.yaml:8:7: error: unknown key 'urgncy' in send; did you mean 'urgency'?"])
    }

    @Test("urgency at the rule's level is caught and placed under send")
    func misindented() {
        let (_, errors) = parseRules(send("    urgency: 6h"))
        #expect(
            errors == [
                "r.yaml:8:5: error: unknown key 'urgency' in rule; 'urgency' belongs under 'send', check its indentation"
            ])
    }

    @Test("urgency must be a positive duration with a unit")
    func badValues() {
        #expect(
            parseRules(send("      urgency: 0s")).1 == [
                "r.yaml:8:16: error: 'urgency' must be longer than 0: it is how long after due a send is worth half; leave it out to let the scheduler wait for the best hour in the window"
            ])
        #expect(
            parseRules(send("      urgency: 6")).1.first?.hasPrefix(
                "r.yaml:8:16: error: 'urgency' needs a unit") == true)
        #expect(
            parseRules(send("      urgency: soon")).1.first?.hasPrefix(
                "r.yaml:8:16: error: 'urgency' is not a duration") == true)
    }
}
