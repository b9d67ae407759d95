#include "gchat/server/storage_writer.hpp"

#include <vector>

namespace gchat::server {

StorageWriter::StorageWriter(std::unique_ptr<Store> store, std::uint32_t max_batch)
    : store_(std::move(store)), max_batch_(max_batch), thread_([this] { loop(); }) {}

StorageWriter::~StorageWriter() { stop(); }

void StorageWriter::submit(Request request) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
}

void StorageWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

StorageWriter::Stats StorageWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t StorageWriter::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void StorageWriter::loop() {
  std::vector<Request> batch;
  std::vector<Status> results;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Everything that queued while the previous batch was being made durable goes into this one.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }

    results.assign(batch.size(), Status{});
    Status committed = store_->begin();
    if (committed.ok()) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Status sp = store_->savepoint();
        if (!sp.ok()) {
          results[i] = sp;
          continue;
        }
        results[i] = batch[i].run(*store_);
        if (results[i].ok()) {
          Status released = store_->release_savepoint();
          if (!released.ok()) results[i] = released;
        } else {
          store_->rollback_to_savepoint();
        }
      }
      committed = store_->commit();
      if (!committed.ok()) store_->rollback();
    }

    {
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      stats_.requests += batch.size();
      if (batch.size() > stats_.largest_batch) stats_.largest_batch = batch.size();
      if (!committed.ok()) ++stats_.failed_commits;
    }
    // Nothing is acknowledged before the transaction is durable; on a failed commit nothing is kept.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(committed.ok() ? results[i] : committed);
    }
  }
}

}  // namespace gchat::server
