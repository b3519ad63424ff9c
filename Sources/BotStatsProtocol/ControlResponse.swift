import FoundationEssentials

/// Encodes control responses: `{"v":1,"ok":true,"result":…}` or `{"v":1,"ok":false,"error":…}`.
package enum ControlResponse {
    private struct Success<Result: Encodable>: Encodable {
        let v = ControlRequest.protocolVersion
        let ok = true
        let result: Result
    }

    private struct Failure: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
        }
        let v = ControlRequest.protocolVersion
        let ok = false
        let error: Body
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .rfc3339
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// One response line (without the newline) carrying `result`.
    package static func success(_ result: some Encodable) -> String {
        do {
            let data = try encoder().encode(Success(result: result))
            return String(decoding: data, as: UTF8.self)
        } catch {
            return failure(ControlError(.`internal`, "cannot encode the result"))
        }
    }

    /// One response line (without the newline) carrying `result`, written without `JSONEncoder`:
    /// the path for answers that are polled, such as `status`.
    package static func success(_ result: some JSONWritable) -> String {
        var json = JSONWriter(capacity: 4096)
        json.object { json in
            json.field("ok", true)
            json.field("result", result)
            json.field("v", ControlRequest.protocolVersion)
        }
        return json.text
    }

    /// One response line (without the newline) carrying `error`.
    package static func failure(_ error: ControlError) -> String {
        let data = (try? encoder().encode(Failure(error: .init(code: error.code.rawValue, message: error.message)))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
