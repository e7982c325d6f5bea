@testable import SeatClient
import SeatProtocol
import Testing

/// The pure parts of following a standby (protocol-spec.md 9b): which server comes next,
/// which configured server an address names, and the sentence for people.
@Suite struct StandbyRefusalTests {
    @Test func aRoundVisitsEachServerOnceFollowingNamedNodes() {
        var round = ServerRound(servers: testServers(4))
        #expect(round.next(after: 0, activeNode: "seat3.example:7420") == 3)
        #expect(round.next(after: 3, activeNode: "seat0.example:7420") == 1, "0 was tried: the next after 3, wrapping")
        #expect(round.next(after: 1) == 2)
        #expect(round.next(after: 2, activeNode: "seat1.example:7420") == nil)
        round.startOver()
        #expect(round.next(after: 0) == 1)
    }

    @Test func aSingleServerRoundEndsAtOnce() {
        var round = ServerRound(servers: testServers(1))
        #expect(round.next(after: 0, activeNode: "seat0.example:7420") == nil)
    }

    @Test func addressesNameEndpointsByHostAndPort() {
        #expect(ServerEndpoint(host: "Seat.Example", port: 7420).isNamed(by: "seat.example:7420"))
        #expect(!ServerEndpoint(host: "seat.example", port: 7420).isNamed(by: "seat.example:7421"))
        #expect(!ServerEndpoint(host: "seat.example", port: 7420).isNamed(by: "seat.example"))
        #expect(ServerEndpoint(host: "2001:db8::7", port: 7420).isNamed(by: "[2001:db8::7]:7420"))
        #expect(!ServerEndpoint(host: "seat.example", port: 7420).isNamed(by: ""))
    }

    @Test func theActiveNodeOfAReply() {
        #expect(ErrorReply(code: .notActive, message: "", detail: .activeNode(address: "a:1")).activeNode == "a:1")
        #expect(ErrorReply(code: .notActive, message: "").activeNode == "")
        #expect(ErrorReply(code: .notActive, message: "", detail: .raw([1])).activeNode == "")
        #expect(ErrorReply(code: .shuttingDown, message: "").activeNode == nil)
    }

    @Test func sentencesNameTheStandbyAndTheActiveNode() {
        let named = ErrorReply(code: .notActive, message: "this node is a standby", detail: .activeNode(address: "seat-b:7420"))
        #expect(named.naming(standby: "seat-a:7420").message == "seat-a:7420 is a standby; the active node is seat-b:7420")
        #expect(named.naming(standby: "seat-a:7420").detail == named.detail)
        let takeover = ErrorReply(code: .notActive, message: "", detail: .activeNode(address: ""))
        #expect(takeover.naming(standby: "seat-a:7420").message == "seat-a:7420 is a standby and no node is active right now (a takeover may be in progress)")
        let other = ErrorReply(code: .noSeats, message: "full")
        #expect(other.naming(standby: "seat-a:7420") == other)
    }
}
