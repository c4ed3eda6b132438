import Foundation
import Testing
import TouchpointCore

@testable import Templates

@Suite("Loading template folders")
struct LoadingTests {
    @Test("locale fallback goes zh-CN, then zh, then the default file")
    func localeFallbackChain() throws {
        let folder = try TemplateFolder([
            "cart/sms.mustache": "default",
            "cart/sms.zh.mustache": "zh",
            "cart/sms.zh-CN.mustache": "zh-CN",
        ])
        let (set, diagnostics) = folder.load()
        #expect(diagnostics.isEmpty)
        func rendered(_ locale: String?) throws -> (String, String?) {
            let content = try set.render(template: "cart", channel: .sms, locale: locale, context: context())
                .get()
            return (content.text, content.locale)
        }
        #expect(try rendered("zh-CN") == ("zh-CN", "zh-CN"))
        #expect(try rendered("zh_cn") == ("zh-CN", "zh-CN"))
        #expect(try rendered("ZH-cn") == ("zh-CN", "zh-CN"))
        #expect(try rendered("zh-TW") == ("zh", "zh"))
        #expect(try rendered("zh") == ("zh", "zh"))
        #expect(try rendered("fr-FR") == ("default", nil))
        #expect(try rendered(nil) == ("default", nil))
        #expect(set.locales(template: "cart", channel: .sms) == [nil, "zh", "zh-CN"])
    }

    @Test("a file named with an underscore locale matches case-insensitively")
    func underscoreLocaleFileName() throws {
        let folder = try TemplateFolder(["cart/chat.zh_cn.mustache": "你好", "cart/chat.mustache": "hi"])
        let (set, diagnostics) = folder.load()
        #expect(diagnostics.isEmpty)
        let content = try set.render(template: "cart", channel: .chat, locale: "zh-CN", context: context())
            .get()
        #expect(content.text == "你好")
        #expect(content.locale == "zh-CN")
    }

    @Test("no file for the channel or locale is a render error, not a crash")
    func missingChannelFile() throws {
        let folder = try TemplateFolder(["cart/sms.zh.mustache": "zh only"])
        let (set, diagnostics) = folder.load()
        #expect(diagnostics.map(\.code) == ["no-default-locale"])
        #expect(throws: RenderFailure.self) {
            try set.render(template: "cart", channel: .sms, locale: "en", context: context()).get()
        }
        #expect(throws: RenderFailure.self) {
            try set.render(template: "cart", channel: .email, locale: nil, context: context()).get()
        }
        let unknown = set.render(template: "crat", channel: .sms, locale: "zh", context: context())
        guard case .failure(.renderError(let message)) = unknown else {
            Issue.record("expected a render error")
            return
        }
        #expect(message.contains("did you mean 'cart'?"))
        #expect(set.channels(template: "cart") == [.sms])
        #expect(set.templateNames == ["cart"])
    }

    @Test("unknown file names warn with the name the author likely meant")
    func unknownFileNames() throws {
        let folder = try TemplateFolder([
            "cart/emial.mustache": "x",
            "cart/sms.txt": "x",
            "cart/chat.zh.extra.mustache": "x",
            "cart/sms.mustache": "ok",
        ])
        let (set, diagnostics) = folder.load()
        let byFile = Dictionary(
            uniqueKeysWithValues: diagnostics.map { (($0.location!.file as NSString).lastPathComponent, $0) })
        #expect(diagnostics.allSatisfy { $0.severity == .warning && $0.code == "unknown-template-file" })
        #expect(byFile["emial.mustache"]?.message.hasSuffix("did you mean 'email.mustache'?") == true)
        #expect(byFile["sms.txt"]?.message.hasSuffix("did you mean 'sms.mustache'?") == true)
        #expect(byFile["chat.zh.extra.mustache"] != nil)
        #expect(set.channels(template: "cart") == [.sms])
    }

    @Test("a Mustache syntax error names the file line and column, after the front matter")
    func syntaxErrorPosition() throws {
        let folder = try TemplateFolder([
            "cart/email.mustache": "---\nsubject: Hi\n---\n<p>Hello</p>\n<p>{{#customer.vip}}VIP</p>\n",
            "cart/sms.mustache": "Hi {{customer.first_name}\n",
        ])
        let (set, diagnostics) = folder.load()
        let email = try #require(diagnostics.first { $0.location?.file.hasSuffix("email.mustache") == true })
        #expect(email.severity == .error)
        #expect(email.code == "template-syntax")
        #expect(email.location?.line == 5)
        #expect(email.location?.column == 4)
        #expect(email.message.contains("never closed"))
        let sms = try #require(diagnostics.first { $0.location?.file.hasSuffix("sms.mustache") == true })
        #expect(sms.location?.line == 1)
        #expect(sms.location?.column ?? 0 > 3)
        #expect(set.channels(template: "cart").isEmpty)
    }

    @Test("a mismatched closing tag is reported where it is")
    func mismatchedClose() throws {
        let (_, diagnostics) = TemplateSet.load(sources: ["t/chat.mustache": "a\n{{#x}}b\n  {{/y}}\n"])
        let d = try #require(diagnostics.first)
        #expect(d.location?.line == 3)
        #expect(d.location?.column == 3)
        #expect(d.message.contains("'x'"))
    }

    @Test("an unknown partial is an error at its tag, with the nearest partial suggested")
    func unknownPartial() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "t/sms.mustache": "Hi {{> footr}}", "_partials/footer.mustache": "Reply STOP to opt out",
        ])
        let d = try #require(diagnostics.first)
        #expect(d.code == "unknown-partial")
        #expect(d.severity == .error)
        #expect(d.location?.file == "templates/t/sms.mustache")
        #expect(d.location?.line == 1)
        #expect(d.location?.column == 4)
        #expect(d.message == "unknown partial 'footr'; did you mean 'footer'?")
    }

    @Test("email front matter: unknown key with did-you-mean at the key's position")
    func unknownFrontMatterKey() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "t/email.mustache": "---\nsubject: Hi\npreheadr: Look\n---\n<p>x</p>\n"
        ])
        let d = try #require(diagnostics.first)
        #expect(d.code == "unknown-key")
        #expect(d.message == "unknown key 'preheadr' in email front matter; did you mean 'preheader'?")
        #expect(d.location?.line == 3)
        #expect(d.location?.column == 1)
    }

    @Test("email without a subject is an error")
    func missingSubject() throws {
        let (set, noFrontMatter) = TemplateSet.load(sources: ["t/email.mustache": "<p>x</p>"])
        #expect(noFrontMatter.map(\.code) == ["missing-subject"])
        #expect(set.channels(template: "t").isEmpty)
        let (_, onlyPreheader) = TemplateSet.load(sources: ["t/email.mustache": "---\npreheader: p\n---\nx"])
        #expect(onlyPreheader.map(\.code) == ["missing-subject"])
    }

    @Test("front matter YAML errors and unclosed fences carry positions")
    func frontMatterYAMLErrors() throws {
        let (_, unclosed) = TemplateSet.load(sources: ["t/email.mustache": "---\nsubject: Hi\n<p>x</p>"])
        #expect(unclosed.first?.code == "front-matter")
        #expect(unclosed.first?.location?.line == 1)
        let (_, badYAML) = TemplateSet.load(sources: [
            "t/email.mustache": "---\nsubject: Hi\n  bad: [1\n---\nx"
        ])
        let d = try #require(badYAML.first)
        #expect(d.code == "front-matter")
        #expect((d.location?.line ?? 0) >= 2)
    }

    @Test("an unquoted subject starting with {{ gets a quoting hint")
    func unquotedMustacheSubject() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "t/email.mustache": "---\nsubject: {{customer.first_name}}\n---\nx"
        ])
        let d = try #require(diagnostics.first)
        #expect(d.message.contains("quote"))
        #expect(d.location?.line == 2)
    }

    @Test("a syntax error inside the subject points into the front matter")
    func subjectSyntaxErrorPosition() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "t/email.mustache": "---\nsubject: \"Hi {{#customer.vip}}\"\n---\nx"
        ])
        let d = try #require(diagnostics.first)
        #expect(d.code == "template-syntax")
        #expect(d.location?.line == 2)
        #expect(d.location?.column == 14)
    }

    @Test("chat buttons: unknown keys and missing url are errors")
    func chatButtonErrors() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "t/chat.mustache":
                "---\nbuttons:\n  - {lable: Open, url: \"https://x\"}\n  - {label: Go}\n---\nhi"
        ])
        let messages = diagnostics.map(\.message)
        #expect(messages.contains("unknown key 'lable' in button; did you mean 'label'?"))
        #expect(messages.contains("button is missing 'url'"))
        #expect(diagnostics.allSatisfy { $0.severity == .error })
    }

    @Test("duplicate locale spellings are an error")
    func duplicateLocale() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "t/sms.zh-CN.mustache": "a", "t/sms.zh_cn.mustache": "b", "t/sms.mustache": "c",
        ])
        #expect(diagnostics.map(\.code) == ["duplicate-template-file"])
    }

    @Test("a missing templates folder is one error")
    func missingFolder() {
        let (set, diagnostics) = TemplateSet.load(directory: "/nonexistent/templates")
        #expect(set.templateNames.isEmpty)
        #expect(diagnostics.map(\.code) == ["missing-directory"])
    }
}
