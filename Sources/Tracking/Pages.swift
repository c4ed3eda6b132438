import Templates
import TouchpointCore

/// The small, self-contained pages the HTTP side shows people: the unsubscribe page and its
/// confirmation, and the notice for an expired link. Inline CSS only, no script, nothing fetched; in
/// English or Simplified Chinese (a `zh*` locale), chosen from the locale in the link.
enum Pages {
    enum Language {
        case en
        case zhCN

        init(locale: String?) {
            self = (locale?.lowercased().hasPrefix("zh") ?? false) ? .zhCN : .en
        }

        var tag: String { self == .en ? "en" : "zh-CN" }
    }

    static func channelName(_ channel: Channel, _ lang: Language) -> String {
        switch (channel, lang) {
        case (.email, .en): "emails"
        case (.sms, .en): "text messages"
        case (.chat, .en): "chat messages"
        case (.email, .zhCN): "电子邮件"
        case (.sms, .zhCN): "短信"
        case (.chat, .zhCN): "聊天消息"
        }
    }

    /// The page at `GET /u/{token}`: one form, two choices, posted back to the same address.
    static func unsubscribe(channel: Channel, locale: String?) -> String {
        let lang = Language(locale: locale)
        let what = channelName(channel, lang)
        let title = lang == .en ? "Unsubscribe" : "退订"
        let question =
            lang == .en
            ? "Do you want to stop receiving marketing \(what) from us?"
            : "您要停止接收我们的营销\(what)吗？"
        let this = lang == .en ? "Unsubscribe from \(what)" : "退订\(what)"
        let all = lang == .en ? "Unsubscribe from everything" : "退订全部消息"
        let note =
            lang == .en
            ? "Messages you asked for, such as receipts, still reach you."
            : "您主动请求的消息（如订单收据）仍会发送给您。"
        return page(
            lang: lang, title: title,
            body: """
                <h1>\(escape(title))</h1>
                <p>\(escape(question))</p>
                <form method="post">
                <button type="submit" name="scope" value="channel">\(escape(this))</button>
                <button type="submit" name="scope" value="all" class="secondary">\(escape(all))</button>
                </form>
                <p class="note">\(escape(note))</p>
                """)
    }

    /// The confirmation after the form was posted.
    static func unsubscribed(channel: Channel?, locale: String?) -> String {
        let lang = Language(locale: locale)
        let title = lang == .en ? "You are unsubscribed" : "退订成功"
        let text: String
        if let channel {
            let what = channelName(channel, lang)
            text =
                lang == .en
                ? "You will not receive marketing \(what) from us any more."
                : "您将不再收到我们的营销\(what)。"
        } else {
            text =
                lang == .en ? "You will not receive marketing messages from us any more." : "您将不再收到我们的任何营销消息。"
        }
        return page(
            lang: lang, title: title, body: "<h1 id=\"done\">\(escape(title))</h1>\n<p>\(escape(text))</p>")
    }

    /// The notice for a click link past its lifetime; `target` is where it led, shown as a plain link.
    static func expired(target: String?, locale: String?) -> String {
        let lang = Language(locale: locale)
        let title = lang == .en ? "This link has expired" : "此链接已过期"
        let text =
            lang == .en
            ? "The offer or page this message linked to may no longer be available." : "该消息中的链接已失效。"
        var body = "<h1>\(escape(title))</h1>\n<p>\(escape(text))</p>"
        if let target, target.lowercased().hasPrefix("https://") || target.lowercased().hasPrefix("http://") {
            let host =
                target.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(
                    String.init) ?? target
            let go = lang == .en ? "Continue to \(host)" : "前往 \(host)"
            body += "\n<p><a href=\"\(escape(target))\" rel=\"noreferrer\">\(escape(go))</a></p>"
        }
        return page(lang: lang, title: title, body: body)
    }

    private static func page(lang: Language, title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="\(lang.tag)"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body{font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:#222;background:#f6f6f4;margin:0}
        main{max-width:32rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 4px #0002}
        h1{font-size:1.4rem;margin:0 0 1rem}
        button{font:inherit;display:block;width:100%;margin:.6rem 0;padding:.8rem;border:0;border-radius:8px;background:#1f5fbf;color:#fff;cursor:pointer}
        button.secondary{background:#e8ecf2;color:#1f3552}
        .note{color:#666;font-size:.9rem}
        </style></head>
        <body><main>
        \(body)
        </main></body></html>

        """
    }

    static func escape(_ s: String) -> String { HTMLEscape.escape(s) }
}
