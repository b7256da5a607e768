import CProtobufC
import StewardWire
import Testing

/// Rules the contract's schema must keep: protobuf-c has no nesting-depth
/// limit, so no message type may contain itself, however indirectly; and
/// method paths are `/<package>.<Service>/<Method>`, each unique.
@Suite("Schema")
struct SchemaTests {
    /// Message types by full name, each with the full names of the message
    /// types its fields hold (repeated, oneof and singular alike), read from
    /// the protobuf-c descriptors, starting from `roots` and following fields.
    static func messageGraph(from roots: [any ProtoMessage.Type]) -> [String: [String]] {
        var graph: [String: [String]] = [:]
        var pending = roots.map { $0.protobufCDescriptor }
        while let descriptor = pending.popLast() {
            let name = String(cString: descriptor.pointee.name)
            guard graph[name] == nil else { continue }
            var children: [String] = []
            for index in 0..<Int(descriptor.pointee.n_fields) {
                let field = descriptor.pointee.fields[index]
                guard field.type == PROTOBUF_C_TYPE_MESSAGE, let nested = field.descriptor else { continue }
                let child = nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                children.append(String(cString: child.pointee.name))
                pending.append(child)
            }
            graph[name] = children
        }
        return graph
    }

    /// A cycle in `graph`, as the names along it with the first repeated at
    /// the end (`["A", "B", "A"]`), or nil when there is none.
    static func findCycle(in graph: [String: [String]]) -> [String]? {
        enum Mark { case onPath, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []

        func visit(_ node: String) -> [String]? {
            switch marks[node] {
            case .done: return nil
            case .onPath: return Array(path[path.firstIndex(of: node)!...]) + [node]
            case nil: break
            }
            marks[node] = .onPath
            path.append(node)
            for child in graph[node, default: []] {
                if let cycle = visit(child) { return cycle }
            }
            path.removeLast()
            marks[node] = .done
            return nil
        }

        for node in graph.keys.sorted() {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }

    @Test("no message type of the contract is reachable from itself")
    func noRecursiveMessages() {
        let graph = Self.messageGraph(from: StewardProtoRegistry.allMessageTypes)
        let cycle = Self.findCycle(in: graph)
        #expect(cycle == nil, "recursive message types: \(cycle?.joined(separator: " -> ") ?? "")")
    }

    @Test("the walk reaches every registered type and follows message fields")
    func walkSeesTheSchema() {
        let graph = Self.messageGraph(from: StewardProtoRegistry.allMessageTypes)
        #expect(Set(graph.keys) == Set(StewardProtoRegistry.allMessageTypes.map { $0.protoFullName }))
        // Singular and repeated message fields are both edges.
        #expect(Set(graph["steward.rpc.v1.Frame"] ?? []) == ["steward.rpc.v1.MetadataEntry", "steward.rpc.v1.Status"])
        #expect(graph["steward.rpc.v1.Status"] == ["steward.rpc.v1.StatusDetail"])
        #expect(graph["steward.v1.ServerStatsResponse"] == ["steward.v1.MethodStats"])
        #expect(graph["steward.rpc.v1.MetadataEntry"] == [])
    }

    @Test("the walk follows nested types and oneof members too (test protos)")
    func walkFollowsNestedAndOneof() {
        let graph = Self.messageGraph(from: [StewardTestV1.KitchenSink.self])
        #expect(Set(graph.keys) == ["steward_test.v1.KitchenSink", "steward_test.v1.Inner", "steward_test.v1.Inner.Leaf"])
        // inner, leaf, r_inner and choice_inner.
        #expect(graph["steward_test.v1.KitchenSink"]?.count == 4)
        #expect(Self.findCycle(in: graph) == nil)
    }

    @Test("the cycle finder finds self-loops and longer cycles, and names them")
    func cycleFinder() {
        #expect(Self.findCycle(in: ["A": ["A"]]) == ["A", "A"])
        #expect(Self.findCycle(in: ["A": ["B"], "B": ["C"], "C": ["A"]]) == ["A", "B", "C", "A"])
        #expect(Self.findCycle(in: ["R": ["A"], "A": ["B"], "B": ["A"]]) == ["A", "B", "A"])
        // A diamond shares a type twice without a cycle.
        #expect(Self.findCycle(in: ["A": ["B", "C"], "B": ["D"], "C": ["D"], "D": []]) == nil)
        #expect(Self.findCycle(in: [:]) == nil)
    }

    // MARK: Method paths

    /// `/<package>.<Service>/<Method>`: a dotted lower-case package, then an
    /// UpperCamel service and method.
    static var pathPattern: Regex<(Substring, Substring, Substring, Substring)> { #/^/((?:[a-z][a-z0-9_]*\.)+)([A-Z][A-Za-z0-9]*)/([A-Z][A-Za-z0-9]*)$/# }

    @Test("every method path is /<package>.<Service>/<Method> of its own service")
    func methodPaths() {
        #expect(!StewardProtoRegistry.allMethods.isEmpty)
        for service in StewardProtoRegistry.allServices {
            for method in service.methods {
                guard let match = method.path.wholeMatch(of: Self.pathPattern) else {
                    Issue.record("\(method.path) is not /<package>.<Service>/<Method>")
                    continue
                }
                #expect("\(match.1)\(match.2)" == service.fullName, "\(method.path) is not in \(service.fullName)")
            }
        }
    }

    @Test("the path pattern refuses malformed paths")
    func pathPatternRefuses() {
        for path in [
            "steward.v1.Server/Info", "/Server/Info", "/steward.v1.Server/", "/steward.v1.Server/Info/",
            "/steward.v1.server/Info", "/steward.v1.Server.Info", "//Info", "/steward.v1.Server/Info ",
        ] {
            #expect(path.wholeMatch(of: Self.pathPattern) == nil, "\(path)")
        }
        #expect("/grpc.health.v1.Health/Check".wholeMatch(of: Self.pathPattern) != nil)
    }

    @Test("method paths are unique")
    func uniquePaths() {
        var seen: Set<String> = []
        for method in StewardProtoRegistry.allMethods {
            #expect(seen.insert(method.path).inserted, "\(method.path) is declared twice")
        }
    }

    @Test("every method's request and response types are registered, so the cycle walk covers them")
    func methodTypesRegistered() {
        let registered = Set(StewardProtoRegistry.allMessageTypes.map { $0.protoFullName })
        for method in StewardProtoRegistry.allMethods {
            #expect(registered.contains(method.requestType.protoFullName), "\(method.path) request")
            #expect(registered.contains(method.responseType.protoFullName), "\(method.path) response")
        }
    }
}
