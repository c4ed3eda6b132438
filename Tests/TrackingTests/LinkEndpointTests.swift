import Events
import Foundation
import Templates
import Testing
import TouchpointCore
import Tracking

extension TrackingSuite {
    /// `/o/`, `/c/` and `/u/` against the real server, with the project's libcurl as the client.
    @Suite("tracking links: pixel, click, unsubscribe") struct LinkEndpoints {
        @Test(
            "the pixel is a no-store 1x1 GIF and records one Message Opened per minute, fsynced before the answer"
        )
        func pixelRecordsOpen() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let url = h.url(h.token(.open, customer: "u42"))
            let first = await HTTP.get(url)
            #expect(first.status == 200)
            #expect(first.headers["content-type"] == "image/gif")
            #expect(first.headers["cache-control"]?.contains("no-store") == true)
            #expect(first.body.count == 43 && first.body.prefix(6) == Array("GIF89a".utf8)[...])
            // The line is on disk when the answer arrives: no waiting.
            var lines = h.lines()
            #expect(lines.count == 1)
            let line = try #require(lines.first)
            #expect(line["type"] as? String == "track")
            #expect(line["event"] as? String == "Message Opened")
            #expect(line["userId"] as? String == "u42")
            let properties = try #require(line["properties"] as? [String: Any])
            #expect(properties["channel"] as? String == "email")
            #expect(properties["message_id"] as? String == "0123456789abcdef0123456789abcdef")
            #expect(properties["machine"] == nil)
            #expect((line["messageId"] as? String)?.hasPrefix("http-") == true)

            // Opened again in the same minute: the same event, not written twice.
            #expect(await HTTP.get(url).status == 200)
            #expect(h.lines().count == 1)
            // A minute later it is a new open.
            h.clock.advance(seconds: 61)
            #expect(await HTTP.get(url).status == 200)
            lines = h.lines()
            #expect(lines.count == 2)
            #expect(lines[0]["messageId"] as? String != lines[1]["messageId"] as? String)
        }

        @Test("every recorded line decodes with the events-file decoder the engine uses")
        func linesAreOrdinaryEvents() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            _ = await HTTP.get(h.url(h.token(.open)))
            _ = await HTTP.get(h.url(h.token(.click, url: "https://shop.example/a?b=1&c=2")))
            _ = await HTTP.post(h.url(h.token(.unsubscribe)), "List-Unsubscribe=One-Click")
            for (name, text) in h.rawFiles() {
                #expect(
                    name.range(of: #"^http-\d{4}-\d{2}-\d{2}\.jsonl$"#, options: .regularExpression) != nil,
                    "\(name)")
                let rows = text.split(separator: "\n")
                #expect(rows.count == 3)
                for (i, row) in rows.enumerated() {
                    let decoded = EventDecoder().decode(line: String(row), file: name, lineNumber: i + 1)
                    guard case .success(let event)? = decoded else {
                        Issue.record("line \(i + 1) does not decode: \(String(describing: decoded))")
                        continue
                    }
                    #expect(event.userId == "u1")
                    #expect(event.messageId != nil)
                }
            }
        }

        @Test("a forged, altered or wrong-kind token gets 404 and records nothing")
        func forgedTokens() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let good = h.url(h.token(.open))
            // One character changed in the middle of the token.
            var altered = Array(good)
            let i = altered.count - 20
            altered[i] = altered[i] == "A" ? "B" : "A"
            #expect(await HTTP.get(String(altered)).status == 404)
            // Signed with another secret.
            let other = LinkTrackerFixture.url(kind: .open, secret: "another-secret-0123456789")
            #expect(await HTTP.get(h.url(other)).status == 404)
            // Not base64 at all, and truncated.
            #expect(await HTTP.get(h.base + "/o/not*a*token").status == 404)
            #expect(await HTTP.get(String(good.dropLast(3))).status == 404)
            // A valid click token on the pixel path, and a pixel token posted to unsubscribe.
            let click = h.token(.click, url: "https://shop.example/")
            #expect(await HTTP.get(h.url(click).replacingOccurrences(of: "/c/", with: "/o/")).status == 404)
            #expect(
                await HTTP.post(
                    good.replacingOccurrences(of: "/o/", with: "/u/"), "List-Unsubscribe=One-Click"
                ).status == 404)
            #expect(h.lines().isEmpty)
            #expect(h.rawFiles().isEmpty)
        }

        @Test("an expired pixel still answers the GIF and records nothing")
        func expiredPixel() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let old = Instant(milliseconds: h.clock.read().milliseconds - 91 * 86_400_000)
            let answer = await HTTP.get(h.url(h.token(.open, issuedAt: old)))
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "image/gif")
            #expect(h.lines().isEmpty)
        }

        @Test(
            "machine opens are recorded with properties.machine: Apple's bare user agent, Apple's network, too soon after the send, a crawler"
        )
        func machineOpens() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            _ = await HTTP.get(h.url(h.token(.open, message: "m1")), headers: ["User-Agent: Mozilla/5.0"])
            _ = await HTTP.get(h.url(h.token(.open, message: "m2", issuedAt: h.clock.read())))
            _ = await HTTP.get(
                h.url(h.token(.open, message: "m3")),
                headers: ["User-Agent: Mozilla/5.0 (compatible; Barracuda Sentinel)"])
            _ = await HTTP.get(
                h.url(h.token(.open, message: "m4")),
                headers: [
                    "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
                ])
            let byMessage = Dictionary(
                uniqueKeysWithValues: h.lines().map { line -> (String, [String: Any]) in
                    let p = line["properties"] as? [String: Any] ?? [:]
                    return (p["message_id"] as? String ?? "", p)
                })
            #expect(byMessage["m1"]?["machine"] as? Bool == true)
            #expect(byMessage["m1"]?["machine_reason"] as? String == "apple-mpp")
            #expect(byMessage["m2"]?["machine_reason"] as? String == "too-soon")
            #expect(byMessage["m3"]?["machine_reason"] as? String == "user-agent")
            #expect(byMessage["m4"]?["machine"] == nil, "a real Mail.app open is a person's")
            // 17.0.0.0/8 is Apple's; the reason function sees the peer address.
            let rule = MachineOpens()
            let now = h.clock.read()
            #expect(
                rule.reason(
                    userAgent: "Mozilla/5.0 (iPhone)", remoteIPv4: [17, 58, 1, 2],
                    issuedAt: Instant(seconds: 0), at: now) == "apple-mpp")
            #expect(
                rule.reason(
                    userAgent: "Mozilla/5.0 (iPhone)", remoteIPv4: [127, 0, 0, 1],
                    issuedAt: Instant(seconds: 0), at: now) == nil)
        }

        @Test(
            "a click redirects to the token's URL only, never a query parameter, and records Message Clicked")
        func clickRedirects() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let target = "https://shop.example/cart/42?utm_source=touchpoint&x=%E4%B8%AD"
            let url = h.url(h.token(.click, index: 2, url: target))
            let answer = await HTTP.get(url + "?url=https://evil.example/&next=https://evil.example/")
            #expect(answer.status == 302)
            #expect(answer.headers["location"] == target)
            #expect(answer.headers["cache-control"]?.contains("no-store") == true)
            let line = try #require(h.lines().first)
            #expect(line["event"] as? String == "Message Clicked")
            let properties = try #require(line["properties"] as? [String: Any])
            #expect(properties["url"] as? String == target)
            #expect(properties["link_index"] as? Int == 2)
            #expect(properties["channel"] as? String == "email")
            // Even a correctly signed token redirects only to a web link without control characters.
            #expect(await HTTP.get(h.url(h.token(.click, url: "javascript:alert(1)"))).status == 404)
            #expect(
                await HTTP.get(h.url(h.token(.click, url: "https://a.example/\r\nSet-Cookie: x=1"))).status
                    == 404)
            #expect(h.lines().count == 1)
        }

        @Test("an expired click link shows a friendly page, does not redirect, and records nothing")
        func expiredClick() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let old = Instant(milliseconds: h.clock.read().milliseconds - 100 * 86_400_000)
            let answer = await HTTP.get(
                h.url(h.token(.click, url: "https://shop.example/sale", issuedAt: old)))
            #expect(answer.status == 410)
            #expect(answer.headers["location"] == nil)
            #expect(answer.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(answer.text.contains("This link has expired"))
            #expect(answer.text.contains("href=\"https://shop.example/sale\""))
            #expect(!answer.text.contains("<script"))
            #expect(h.lines().isEmpty)
        }

        @Test("the unsubscribe page is self-contained, in English or Chinese, and a GET records nothing")
        func unsubscribePage() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let en = await HTTP.get(h.url(h.token(.unsubscribe, channel: .email)))
            #expect(en.status == 200)
            #expect(en.text.contains("<html lang=\"en\">"))
            #expect(en.text.contains("Unsubscribe from emails"))
            #expect(en.text.contains("<form method=\"post\">"))
            #expect(!en.text.contains("<script") && !en.text.contains("src="))
            #expect(en.headers["content-security-policy"]?.contains("default-src 'none'") == true)
            let zh = await HTTP.get(h.url(h.token(.unsubscribe, channel: .sms, locale: "zh-CN")))
            #expect(zh.text.contains("<html lang=\"zh-CN\">"))
            #expect(zh.text.contains("退订短信"))
            #expect(h.lines().isEmpty, "scanners fetch every link: a GET must not unsubscribe")
        }

        @Test(
            "RFC 8058 one-click and the page's form both record Unsubscribed; a bad body gets 400 and records nothing"
        )
        func unsubscribePost() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let url = h.url(h.token(.unsubscribe, customer: "u7", channel: .email))
            let bad = await HTTP.post(
                url, "hello=world", headers: ["Content-Type: application/x-www-form-urlencoded"])
            #expect(bad.status == 400)
            #expect(await HTTP.post(url, "scope=%ZZ").status == 400)
            #expect(h.lines().isEmpty)

            let oneClick = await HTTP.post(
                url, "List-Unsubscribe=One-Click",
                headers: ["Content-Type: application/x-www-form-urlencoded"])
            #expect(oneClick.status == 200)
            // RFC 8058 also allows multipart/form-data; the same request an hour later is a new event.
            h.clock.advance(seconds: 3600)
            let multipart =
                "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n"
            #expect(
                await HTTP.post(url, multipart, headers: ["Content-Type: multipart/form-data; boundary=XyZ"])
                    .status == 200)
            let all = await HTTP.post(url, "scope=all")
            #expect(all.status == 200)
            #expect(all.text.contains("You are unsubscribed"))
            let lines = h.lines()
            #expect(lines.count == 3)
            #expect(
                lines.allSatisfy {
                    $0["event"] as? String == "Unsubscribed" && $0["userId"] as? String == "u7"
                })
            let channels = lines.compactMap { ($0["properties"] as? [String: Any])?["channel"] as? String }
            #expect(channels == ["email", "email", "all"])
            let sources = lines.compactMap { ($0["properties"] as? [String: Any])?["source"] as? String }
            #expect(sources == ["one-click", "one-click", "page"])
        }

        @Test("unsubscribe links keep working past the link lifetime")
        func unsubscribeNeverExpires() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let old = Instant(milliseconds: h.clock.read().milliseconds - 400 * 86_400_000)
            #expect(
                await HTTP.post(h.url(h.token(.unsubscribe, issuedAt: old)), "List-Unsubscribe=One-Click")
                    .status == 200)
            #expect(h.lines().count == 1)
        }
    }
}

/// Tokens minted outside the harness.
enum LinkTrackerFixture {
    static func url(kind: TrackingToken.Kind, secret: String) -> String {
        let tracker = Templates.LinkTracker(publicURL: "http://x", secret: secret)
        return tracker.url(
            for: TrackingToken(
                kind: kind, channel: .email, messageId: "m", customer: "u1",
                issuedAt: Instant(seconds: 1_794_990_000)))
    }
}
