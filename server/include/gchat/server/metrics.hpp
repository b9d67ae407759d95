#pragma once
// Process-wide counters, exported at /metrics in the Prometheus text format.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace gchat::server {

struct Metrics {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_authenticated{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_rejected{0};
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> messages_stored{0};
  std::atomic<std::uint64_t> deliveries{0};
  std::atomic<std::uint64_t> catchup_reads{0};
  std::atomic<std::uint64_t> lagging_events{0};
  std::atomic<std::uint64_t> auth_failures{0};
  std::atomic<std::uint64_t> messages_expired{0};
  std::atomic<std::uint64_t> channel_posts{0};          // posts accepted into channels' streams
  std::atomic<std::uint64_t> channel_keys_stored{0};    // wrapped channel keys stored for devices
  std::atomic<std::uint64_t> channel_departures{0};     // devices taken out of channels' streams
  std::array<std::atomic<std::uint64_t>, 100> errors_by_code{};  // index = relay.v1.ErrorCode
  std::atomic<std::int64_t> send_queue_bytes{0};            // all connections' queued bytes now
  std::atomic<std::uint64_t> send_queue_bytes_max_one{0};   // largest single connection queue seen
  // Certificates expiring within 30 days (recounted by the storage writer, not per scrape).
  std::atomic<std::uint64_t> user_certificates_expiring{0};  // people's current certificates, not revoked
  std::atomic<std::uint64_t> admin_chains_expiring{0};  // administrators' newest chains (agency or admin)
  std::atomic<bool> expiry_gauges_queued{false};        // a recount is waiting in the writer's queue

  // delta: change of the total; connection_total: that connection's queue size after the change.
  void note_queued(std::int64_t delta, std::size_t connection_total) noexcept {
    send_queue_bytes += delta;
    auto seen = send_queue_bytes_max_one.load(std::memory_order_relaxed);
    while (connection_total > seen && !send_queue_bytes_max_one.compare_exchange_weak(seen, connection_total)) {
    }
  }

  void count_error(int code) noexcept {
    if (code >= 0 && code < static_cast<int>(errors_by_code.size())) errors_by_code[static_cast<std::size_t>(code)]++;
  }

  struct StorageFigures {
    std::uint64_t batches, requests, failed_commits, largest_batch, pending;
  };
  std::string render(const StorageFigures& storage) const;
};

// Resident set size of this process in bytes, from /proc/self/statm (0 if unavailable).
std::uint64_t resident_bytes();

}  // namespace gchat::server
