extension PreviewPage {
    /// Channel colours, shared by the chart, the legend and the card chips.
    static func colour(_ channel: String) -> String {
        switch channel {
        case "email": "#2563eb"
        case "sms": "#16a34a"
        case "chat": "#9333ea"
        default: "#a1a1aa"
        }
    }

    /// The page's inline stylesheet: system fonts (CJK faces named so Chinese picks a real one), cards in a grid.
    static let stylesheet = """
        :root{color-scheme:light;--ink:#18181b;--muted:#71717a;--line:#e4e4e7;--bg:#f6f6f7;--card:#fff}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",\
        Roboto,"Helvetica Neue",Arial,"Noto Sans","PingFang SC","Hiragino Sans GB","Microsoft YaHei",\
        "Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
        code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        .page-head{padding:24px 32px 8px}
        h1{margin:0 0 4px;font-size:22px}
        h2{margin:0 0 12px;font-size:16px}
        .totals{margin:0 0 8px;font-size:15px}
        .note{margin:0;color:var(--muted);font-size:12px;max-width:900px}
        main{padding:8px 32px 48px}
        section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:0 0 20px}
        .caption{color:var(--muted);font-size:12px;margin:8px 0 0}
        table.summary{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
        .summary th,.summary td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
        .summary th:first-child,.summary td:first-child{text-align:left}
        .summary thead th{font-size:12px;color:var(--muted);font-weight:600}
        .summary tfoot td{font-weight:600;border-bottom:0}
        .summary .zero{color:#d4d4d8}
        .summary .held{color:#b45309}
        .chart svg{width:100%;height:auto;display:block}
        .legend{display:flex;gap:16px;font-size:12px;color:var(--muted);margin:0 0 8px}
        .legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
        .filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:0 0 12px;font-size:13px}
        .filters select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px;background:#fff}
        .cards{display:flex;flex-direction:column;gap:12px}
        .card{display:grid;grid-template-columns:minmax(280px,360px) minmax(0,1fr);background:var(--card);\
        border:1px solid var(--line);border-radius:10px;overflow:hidden}
        .card[hidden]{display:none}
        .card-head{padding:12px 14px;border-right:1px solid var(--line);min-width:0}
        .card-body{min-width:0;display:flex;flex-direction:column;justify-content:center}
        .tags{display:flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:12px;color:var(--muted)}
        .chip{display:inline-block;padding:1px 8px;border-radius:999px;color:#fff;font-size:11px;font-weight:600}
        .chip.held{background:#a1a1aa}
        .rule{font-weight:600;color:var(--ink)}
        .subject{margin:8px 0 2px;font-size:15px;overflow-wrap:anywhere}
        .preheader{margin:0;color:var(--muted);font-size:13px;overflow-wrap:anywhere}
        .fields{margin:8px 0 0;font-size:12px}
        .fields div{display:grid;grid-template-columns:64px minmax(0,1fr);gap:10px}
        .fields dt{color:var(--muted)}
        .fields dd{margin:0;overflow-wrap:anywhere}
        iframe.email{display:block;width:100%;height:520px;border:0;background:#f4f4f5;resize:vertical}
        .text-body{margin:0;padding:12px 14px;white-space:pre-wrap;overflow-wrap:anywhere;font:inherit}
        details{margin:10px -14px 0;border-top:1px solid var(--line);padding:6px 14px 0;font-size:12px}
        details summary{cursor:pointer;color:var(--muted)}
        details pre{white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.45 inherit;margin:6px 0}
        details ul{margin:6px 0;padding-left:18px}
        .phone{margin:14px auto 8px;width:300px;max-width:calc(100% - 28px);background:#f4f4f5;\
        border:8px solid #27272a;border-radius:28px;padding:18px 12px 22px}
        .phone-top{text-align:center;font-size:11px;color:var(--muted);margin:0 0 10px}
        .bubble{display:inline-block;max-width:90%;padding:8px 12px;border-radius:16px;white-space:pre-wrap;\
        overflow-wrap:anywhere;font-size:14px}
        .sms .bubble{background:#e4e4e7;color:var(--ink);border-bottom-left-radius:4px}
        .sms-info{margin:0 0 14px;text-align:center;font-size:12px;color:var(--muted)}
        .badge{display:inline-block;padding:0 6px;border:1px solid var(--line);border-radius:4px;font-weight:600;color:var(--ink)}
        .chat-pane{margin:14px auto;width:calc(100% - 28px);max-width:520px;padding:14px;background:#faf5ff;border-radius:10px}
        .chat .bubble{background:#fff;border:1px solid #e9d5ff;border-bottom-left-radius:4px}
        .buttons{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 0}
        .pill{display:inline-block;padding:4px 12px;border-radius:999px;border:1px solid #9333ea;color:#7e22ce;\
        text-decoration:none;font-size:13px;background:#fff}
        .pill.inert{border-style:dashed;color:var(--muted)}
        @media (max-width:760px){.card{grid-template-columns:1fr}.card-head{border-right:0;border-bottom:1px solid var(--line)}}
        .card.suppressed{display:block;background:#fafafa;color:#52525b}
        .card.suppressed .card-head{border:0;padding:8px 14px}
        .card.suppressed .fields{display:flex;flex-wrap:wrap;gap:2px 18px;margin-top:4px}
        .card.suppressed .fields div{display:flex;gap:5px}
        .reason{font-weight:600;color:#b45309}
        .detail{margin:6px 0 0;font-size:12px;overflow-wrap:anywhere}
        .cap-note{margin:0 0 12px;padding:8px 12px;border-radius:8px;background:#fef3c7;color:#78350f;font-size:13px}
        .empty{color:var(--muted);margin:0}
        """

    /// Filters by rule, channel and decision. The controls start hidden, so a reader with JavaScript
    /// off sees every card and no dead controls.
    static let filterScript = """
        (function(){
        var box=document.getElementById('filters');if(!box)return;box.hidden=false;
        var cards=document.querySelectorAll('.card'),count=document.getElementById('shown');
        var sel=['f-rule','f-channel','f-decision'].map(function(i){return document.getElementById(i)});
        function apply(){var n=0;
        cards.forEach(function(c){var ok=(!sel[0].value||c.dataset.rule===sel[0].value)&&\
        (!sel[1].value||c.dataset.channel===sel[1].value)&&(!sel[2].value||c.dataset.decision===sel[2].value);
        c.hidden=!ok;if(ok)n++;});count.textContent=n+' of '+cards.length+' shown';}
        sel.forEach(function(s){s.addEventListener('change',apply)});apply();
        })();
        """
}
