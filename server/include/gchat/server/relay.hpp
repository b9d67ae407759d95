#pragma once
// The relay's shared state: configuration, the storage writer, metrics, and the index of online
// sessions by device and by group used for fan-out. Sessions keep their own per-group delivery
// marks; the Relay only knows who is online where.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gchat/identity/certificate.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/server/config.hpp"
#include "gchat/server/metrics.hpp"
#include "gchat/relay/v1/relay.pb.h"
#include "gchat/server/storage_writer.hpp"

namespace gchat::server {

namespace pb = gchat::relay::v1;
class Session;
class MlsGate;

// What the relay knows of identity: the pinned root (certificate mode), its own signing key, and
// the revocation list in force.
struct RelayTrust {
  Bytes root_key;  // empty: no certificate checks
  identity::SigningKey signing_key = identity::SigningKey::generate();
  identity::v1::Signed revocation_list;  // the newest signed list (number 0 and empty when none)
};

class Relay {
 public:
  Relay(Config config, std::unique_ptr<StorageWriter> storage, RelayTrust trust);
  ~Relay();

  const Config& config() const noexcept { return config_; }
  StorageWriter& storage() noexcept { return *storage_; }
  Metrics& metrics() noexcept { return metrics_; }
  std::string render_metrics() const;

  bool certificate_mode() const noexcept { return !trust_.root_key.empty(); }
  // Certificate mode only; used on the storage thread only.
  MlsGate& gate() noexcept { return *gate_; }
  const Bytes& root_key() const noexcept { return trust_.root_key; }
  const identity::SigningKey& signing_key() const noexcept { return trust_.signing_key; }
  // A snapshot of the list in force; sessions keep it for one verification.
  std::shared_ptr<const identity::Revocations> revocations() const;
  identity::v1::Signed signed_revocations() const;
  void set_revocations(identity::v1::Signed signed_list, const identity::v1::RevocationList& list);
  // Closes every session of these devices after telling them why.
  void close_devices(const std::vector<DeviceRef>& devices, pb::ErrorCode code, const std::string& message);

  // Global connection limit; every successful acquire is matched by one release.
  bool acquire_connection();
  void release_connection();

  // Per-device limit; false when the device already has max_connections_per_device sessions.
  bool attach_device(DeviceRef device, const std::shared_ptr<Session>& session);
  void detach(Session* session, DeviceRef device, const std::vector<GroupRef>& groups);

  void subscribe(GroupRef group, const std::shared_ptr<Session>& session);
  void unsubscribe(GroupRef group, Session* session);

  // Called from the storage thread after a batch is durable; the frame is shared, never copied.
  void fan_out(GroupRef group, std::uint64_t seq, std::shared_ptr<const std::string> frame);
  // Membership changes seen by sessions of the affected devices that are online now.
  void members_added(GroupRef group, const Bytes& group_id, std::uint64_t joined_seq,
                     const std::vector<DeviceRef>& devices);
  void members_removed(GroupRef group, const std::vector<DeviceRef>& devices);
  // A frame for every online session of these devices (channel keys, notices to publishers).
  void push_to(const std::vector<DeviceRef>& devices, const std::shared_ptr<const std::string>& frame);

  // Graceful shutdown: every online session is told and closed.
  std::vector<std::shared_ptr<Session>> all_sessions();
  bool shutting_down() const noexcept { return shutting_down_.load(); }
  void begin_shutdown() noexcept { shutting_down_ = true; }

 private:
  std::vector<std::shared_ptr<Session>> sessions_of(DeviceRef device);

  const Config config_;
  std::unique_ptr<StorageWriter> storage_;
  RelayTrust trust_;
  mutable std::mutex trust_mutex_;
  std::shared_ptr<const identity::Revocations> revoked_;
  std::unique_ptr<MlsGate> gate_;
  Metrics metrics_;
  std::atomic<bool> shutting_down_{false};

  std::mutex mutex_;
  std::unordered_map<DeviceRef, std::vector<std::weak_ptr<Session>>> by_device_;
  std::unordered_map<GroupRef, std::vector<std::weak_ptr<Session>>> by_group_;
};

}  // namespace gchat::server
