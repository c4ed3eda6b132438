import Testing

@testable import Templates

@Suite("SMS encoding and segments")
struct SMSInfoTests {
    @Test("the GSM-7 basic table has 127 printable characters (128 minus ESC), the extension 10")
    func tableSizes() {
        #expect(SMSInfo.gsmBasic.count == 127)
        #expect(SMSInfo.gsmExtension.count == 10)
        #expect(SMSInfo.gsmBasic.isDisjoint(with: SMSInfo.gsmExtension))
    }

    @Test("160 GSM characters fit one segment, 161 need two")
    func gsmSingleBoundary() {
        #expect(
            SMSInfo.measure(String(repeating: "a", count: 160))
                == SMSInfo(encoding: .gsm7, units: 160, segments: 1))
        #expect(
            SMSInfo.measure(String(repeating: "a", count: 161))
                == SMSInfo(encoding: .gsm7, units: 161, segments: 2))
        #expect(SMSInfo.measure(String(repeating: "a", count: 306)).segments == 2)
        #expect(SMSInfo.measure(String(repeating: "a", count: 307)).segments == 3)
    }

    @Test("extension characters count two septets each")
    func extensionCountsDouble() {
        #expect(SMSInfo.measure("€") == SMSInfo(encoding: .gsm7, units: 2, segments: 1))
        #expect(SMSInfo.measure("[x]{y}|~^\\\u{0C}").units == 2 * 9 + 2)
        #expect(SMSInfo.measure(String(repeating: "€", count: 80)).segments == 1)
        #expect(SMSInfo.measure(String(repeating: "€", count: 80) + "a").segments == 2)
    }

    @Test("an escape pair is never split across the 153-septet boundary")
    func escapePairNotSplit() {
        let text = String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152)
        let info = SMSInfo.measure(text)
        #expect(info.units == 306)
        #expect(info.segments == 3)  // a naive ceil(306 / 153) would say 2
        let fits = String(repeating: "a", count: 151) + "€" + String(repeating: "a", count: 153)
        #expect(SMSInfo.measure(fits).segments == 2)
    }

    @Test("accented letters in the table stay GSM-7; others switch to UCS-2")
    func gsmAccents() {
        // û is not GSM, then í is not GSM.
        #expect(SMSInfo.measure("Ça coûte 5€ à Zürich, señor! ¿Sí? Åå ÆæØø ß Δ").encoding == .ucs2)
        #expect(SMSInfo.measure("Ça coute 5€ à Zürich, señor! ¿Sí? Åå ÆæØø ß Δ").encoding == .ucs2)
        #expect(SMSInfo.measure("Ça coute 5€ à Zürich, señor! ¿Si? Åå ÆæØø ß Δ @£$¥èéùìò").encoding == .gsm7)
        #expect(SMSInfo.measure("ç").encoding == .ucs2)
        #expect(SMSInfo.measure("line\r\nbreak").units == 11)
    }

    @Test("UCS-2: 70 Chinese characters fit one segment, 71 need two")
    func ucs2Boundary() {
        #expect(
            SMSInfo.measure(String(repeating: "你", count: 70))
                == SMSInfo(encoding: .ucs2, units: 70, segments: 1))
        #expect(
            SMSInfo.measure(String(repeating: "你", count: 71))
                == SMSInfo(encoding: .ucs2, units: 71, segments: 2))
        #expect(SMSInfo.measure(String(repeating: "你", count: 134)).segments == 2)
        #expect(SMSInfo.measure(String(repeating: "你", count: 135)).segments == 3)
    }

    @Test("an emoji counts as a surrogate pair and is never split")
    func emojiSurrogates() {
        #expect(SMSInfo.measure("😀").units == 2)
        #expect(SMSInfo.measure(String(repeating: "😀", count: 35)).segments == 1)
        #expect(
            SMSInfo.measure(String(repeating: "😀", count: 36))
                == SMSInfo(encoding: .ucs2, units: 72, segments: 2))
        let text = String(repeating: "你", count: 66) + "😀" + String(repeating: "你", count: 66)
        #expect(SMSInfo.measure(text) == SMSInfo(encoding: .ucs2, units: 134, segments: 3))
        #expect(SMSInfo.measure("Hi 😀").encoding == .ucs2)
    }

    @Test("empty text is zero segments")
    func emptyText() {
        #expect(SMSInfo.measure("") == SMSInfo(encoding: .gsm7, units: 0, segments: 0))
    }
}
