#pragma once
// Group commit: one thread owns the Store and runs requests in batches, one transaction per batch.
// Each request runs inside its own savepoint (a failing request leaves no trace and does not fail
// its neighbours); its completion runs only after the whole batch is durable, or with a storage
// error if the commit failed. Completions are handed back to the caller's executor by the caller.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "gchat/base/result.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

class StorageWriter {
 public:
  // run: executed on the storage thread inside the batch transaction. Its Status decides whether
  //      its savepoint is kept. done: executed on the storage thread after the commit, with the
  //      request's own status, or the commit's failure; it must only post work elsewhere.
  struct Request {
    std::function<Status(Store&)> run;
    std::function<void(const Status&)> done;
  };

  struct Stats {
    std::uint64_t batches = 0;
    std::uint64_t requests = 0;
    std::uint64_t failed_commits = 0;
    std::uint64_t largest_batch = 0;
  };

  StorageWriter(std::unique_ptr<Store> store, std::uint32_t max_batch);
  ~StorageWriter();
  StorageWriter(const StorageWriter&) = delete;
  StorageWriter& operator=(const StorageWriter&) = delete;

  void submit(Request request);
  // Finishes every submitted request, then stops the thread. Idempotent.
  void stop();
  Stats stats() const;
  std::size_t pending() const;

 private:
  void loop();

  std::unique_ptr<Store> store_;
  const std::uint32_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace gchat::server
