import Engine
import Foundation
import Testing

@testable import Preview

/// The shipped example (`examples/events.jsonl` with `examples/touchpoint.yaml`) as a preview page,
/// written to a temporary file that `scripts/preview-screenshot.sh` can render.
@Suite("Example story preview")
struct ExampleStoryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let pagePath = FileManager.default.temporaryDirectory.appendingPathComponent(
        "touchpoint-preview-example.html"
    ).path

    static func examplePage() throws -> (page: String, records: [MessageRecord]) {
        let fixture = Fixture(configPath: root.appendingPathComponent("examples/touchpoint.yaml").path)
        let records = try fixture.run(file: root.appendingPathComponent("examples/events.jsonl").path)
        let page = PreviewPage.render(records: records, title: "touchpoint dry-run: examples/events.jsonl")
        try page.write(toFile: pagePath, atomically: true, encoding: .utf8)
        return (page, records)
    }

    @Test("the example story's page shows every decision and every rule that fired")
    func examplePage() throws {
        let (page, records) = try Self.examplePage()
        #expect(records.count > 20)
        #expect(PageScan.count("<article class=\"card", in: page) == records.count)
        for rule in Set(records.map(\.rule)) { #expect(page.contains("<tr data-rule=\"\(rule)\">")) }
        #expect(page.contains(#"<span class="badge encoding">UCS-2</span>"#))
        #expect(page.contains(#"<a class="pill" href="https://shop.example/cart/s1""#))
        #expect(page.contains("感谢您的订单 o-7001"))
        // Issue 19: the story's cart reminder falls back to another channel when unopened; each follow-up's
        // card in the page says which send it follows.
        let fallbacks = records.filter { $0.fallbackOf != nil }
        #expect(!fallbacks.isEmpty, "the example story has no fallback follow-up")
        for r in fallbacks {
            #expect(
                page.contains("<div><dt>Fallback of</dt><dd><code>\(r.fallbackOf!)</code></dd></div>"),
                "no 'Fallback of' on \(r.messageId)")
        }
        for tag in PageScan.tags(PageScan.outsideSrcdoc(page))
        where tag.name == "img" || tag.name == "script" || tag.name == "link" {
            #expect(
                PageScan.attribute("src", in: tag.attributes) == nil
                    && PageScan.attribute("href", in: tag.attributes) == nil)
        }
    }

    static var chromiumInstalled: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    @Test(
        "headless Chromium renders the example page to a PNG without a single network request",
        .enabled(if: chromiumInstalled, "chromium not installed"))
    func screenshot() throws {
        _ = try Self.examplePage()
        let png = FileManager.default.temporaryDirectory.appendingPathComponent(
            "touchpoint-preview-example.png"
        ).path
        let run = try ScreenshotScript.run(page: Self.pagePath, out: png)
        #expect(run.status == 0, "\(run.output)")
        // The script skips (exit 0) where Chromium cannot start; only a real run must leave a PNG.
        guard !run.output.hasPrefix("skipped:") else { return }
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(data.count > 10_000)
        #expect(run.output.contains("network: none"), "\(run.output)")
    }
}
