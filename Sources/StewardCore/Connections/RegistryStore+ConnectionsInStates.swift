import StewardModel
import StewardStore

extension RegistryStore {
    /// Every connection in one of `states`, read a page at a time.
    ///
    /// A store failure part-way goes to `storeFailed`: one that throws ends
    /// the read with its error; one that returns ends it with the
    /// connections read so far as the answer.
    func connections<Failure: Error>(
        in states: Set<LifecycleState>,
        ifStoreFails storeFailed: (StoreError) throws(Failure) -> Void
    ) throws(Failure) -> [ConnectionRecord] {
        var found: [ConnectionRecord] = []
        var page = PageRequest(size: PageRequest.maximumSize)
        repeat {
            let batch: Page<ConnectionRecord>
            do { batch = try listConnections(state: nil, page: page) } catch {
                try storeFailed(error)
                break
            }
            found += batch.items.filter { states.contains($0.state) }
            page.token = batch.nextPageToken
        } while page.token != nil
        return found
    }
}
