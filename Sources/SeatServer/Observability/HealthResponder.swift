import Hummingbird
import NIOCore

/// The health listener's answers: `/healthz` (the process is up and answering), `/readyz`
/// (storage open, client listener bound, not shutting down; 503 otherwise) and `/metrics`
/// (Prometheus text), to GET and HEAD only. A plain switch rather than a router: the
/// answers to every other path and method are fixed text for probes and people with curl.
struct HealthResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let readiness: Readiness
    let metrics: @Sendable () async -> [UInt8]

    static let plainText = "text/plain; charset=utf-8"
    static let prometheusText = "text/plain; version=0.0.4; charset=utf-8"

    func respond(to request: Request, context: Context) async throws -> Response {
        let (status, contentType, body) = await answer(request.method, path: request.uri.path)
        // HEAD: the headers GET would get, Content-Length included, without the body.
        return Response(
            status: status,
            headers: [.contentType: contentType, .contentLength: String(body.count)],
            body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func answer(_ method: HTTPRequest.Method, path: String) async -> (HTTPResponse.Status, String, [UInt8]) {
        guard method == .get || method == .head else {
            return (.methodNotAllowed, Self.plainText, Array("only GET and HEAD\n".utf8))
        }
        switch path {
        case "/healthz":
            return (.ok, Self.plainText, Array("ok\n".utf8))
        case "/readyz":
            if let reason = readiness.notReadyReason {
                return (.serviceUnavailable, Self.plainText, Array("not ready: \(reason)\n".utf8))
            }
            return (.ok, Self.plainText, Array("ready\n".utf8))
        case "/metrics":
            return (.ok, Self.prometheusText, await metrics())
        default:
            return (.notFound, Self.plainText, Array("not found; try /healthz, /readyz or /metrics\n".utf8))
        }
    }
}
