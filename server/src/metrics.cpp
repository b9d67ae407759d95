#include "gchat/server/metrics.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gchat/relay/v1/relay.pb.h"

namespace gchat::server {

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string Metrics::render(const StorageFigures& storage) const {
  std::ostringstream o;
  auto counter = [&](const char* name, const char* help, std::uint64_t v, const char* type = "counter") {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << v << '\n';
  };
  counter("gchat_connections_open", "Open connections.", connections_open, "gauge");
  counter("gchat_connections_authenticated", "Authenticated connections.", connections_authenticated, "gauge");
  counter("gchat_connections_total", "Connections accepted since start.", connections_total);
  counter("gchat_connections_rejected_total", "Connections refused by a limit.", connections_rejected);
  counter("gchat_frames_in_total", "WebSocket messages received.", frames_in);
  counter("gchat_frames_out_total", "WebSocket messages sent.", frames_out);
  counter("gchat_bytes_in_total", "Bytes of WebSocket messages received.", bytes_in);
  counter("gchat_bytes_out_total", "Bytes of WebSocket messages sent.", bytes_out);
  counter("gchat_messages_stored_total", "Messages made durable.", messages_stored);
  counter("gchat_deliveries_total", "Deliveries pushed to devices.", deliveries);
  counter("gchat_catchup_reads_total", "Store reads to catch a device up.", catchup_reads);
  counter("gchat_lagging_events_total", "Times a slow connection fell back to its durable queue.", lagging_events);
  counter("gchat_auth_failures_total", "Failed authentications.", auth_failures);
  counter("gchat_messages_expired_total", "Messages deleted after their time to live.", messages_expired);
  counter("gchat_channel_posts_total", "Posts accepted into broadcast channels.", channel_posts);
  counter("gchat_channel_keys_stored_total", "Wrapped channel keys stored for subscriber devices.", channel_keys_stored);
  counter("gchat_channel_departures_total", "Devices taken out of channels (unsubscribed, cleared lower, revoked).",
          channel_departures);
  counter("gchat_send_queue_bytes", "Bytes waiting in all connections' send queues.",
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, send_queue_bytes.load())), "gauge");
  counter("gchat_send_queue_bytes_max_connection", "Largest send queue of one connection since start, bytes.",
          send_queue_bytes_max_one, "gauge");
  counter("gchat_user_certificates_expiring_30d",
          "People whose current certificate expires within 30 days (not revoked; renewal should have run).",
          user_certificates_expiring, "gauge");
  counter("gchat_admin_chains_expiring_30d",
          "Administrators whose newest chain (agency or administrator certificate) expires within 30 days.",
          admin_chains_expiring, "gauge");
  counter("gchat_storage_batches_total", "Storage transactions committed or attempted.", storage.batches);
  counter("gchat_storage_requests_total", "Requests run by the storage writer.", storage.requests);
  counter("gchat_storage_failed_commits_total", "Storage transactions that failed to commit.", storage.failed_commits);
  counter("gchat_storage_largest_batch", "Largest number of requests in one transaction.", storage.largest_batch, "gauge");
  counter("gchat_storage_pending", "Requests waiting for the storage writer.", storage.pending, "gauge");
  counter("gchat_process_resident_bytes", "Resident memory of the relay process.", resident_bytes(), "gauge");
  o << "# HELP gchat_errors_total Error responses by code.\n# TYPE gchat_errors_total counter\n";
  for (std::size_t i = 0; i < errors_by_code.size(); ++i) {
    const auto v = errors_by_code[i].load();
    if (v == 0) continue;
    const auto* name = gchat::relay::v1::ErrorCode_Name(static_cast<gchat::relay::v1::ErrorCode>(i)).c_str();
    o << "gchat_errors_total{code=\"" << name << "\"} " << v << '\n';
  }
  return o.str();
}

}  // namespace gchat::server
