#include "gchat/server/relay.hpp"

#include <algorithm>

#include "gchat/server/session.hpp"
#include "mls_gate.hpp"

namespace gchat::server {

namespace {
// Removes `session` and any expired entries from a list of weak pointers.
void erase_session(std::vector<std::weak_ptr<Session>>& list, const Session* session) {
  std::erase_if(list, [&](const std::weak_ptr<Session>& w) {
    auto s = w.lock();
    return !s || s.get() == session;
  });
}
}  // namespace

Relay::Relay(Config config, std::unique_ptr<StorageWriter> storage, RelayTrust trust)
    : config_(std::move(config)), storage_(std::move(storage)), trust_(std::move(trust)) {
  identity::v1::RevocationList list;
  if (!trust_.revocation_list.body().empty()) list.ParseFromString(trust_.revocation_list.body());
  revoked_ = std::make_shared<identity::Revocations>(list);
  if (certificate_mode()) {
    gate_ = std::make_unique<MlsGate>(trust_.root_key, trust_.signing_key.public_key());
    gate_->verifier().set_revocations(revoked_);
  }
}

Relay::~Relay() = default;

std::shared_ptr<const identity::Revocations> Relay::revocations() const {
  std::lock_guard lock(trust_mutex_);
  return revoked_;
}

identity::v1::Signed Relay::signed_revocations() const {
  std::lock_guard lock(trust_mutex_);
  return trust_.revocation_list;
}

void Relay::set_revocations(identity::v1::Signed signed_list, const identity::v1::RevocationList& list) {
  auto next = std::make_shared<identity::Revocations>(list);
  std::lock_guard lock(trust_mutex_);
  if (next->number() <= revoked_->number()) return;
  trust_.revocation_list = std::move(signed_list);
  revoked_ = next;
  if (gate_) gate_->verifier().set_revocations(std::move(next));
}

void Relay::close_devices(const std::vector<DeviceRef>& devices, pb::ErrorCode code, const std::string& message) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (DeviceRef d : devices) {
      auto of = sessions_of(d);
      sessions.insert(sessions.end(), of.begin(), of.end());
    }
  }
  for (auto& s : sessions) s->close_with(code, message);
}

std::string Relay::render_metrics() const {
  const auto s = storage_->stats();
  return metrics_.render({s.batches, s.requests, s.failed_commits, s.largest_batch, storage_->pending()});
}

bool Relay::acquire_connection() {
  auto open = metrics_.connections_open.load();
  do {
    if (open >= config_.max_connections) {
      metrics_.connections_rejected++;
      return false;
    }
  } while (!metrics_.connections_open.compare_exchange_weak(open, open + 1));
  metrics_.connections_total++;
  return true;
}

void Relay::release_connection() { metrics_.connections_open--; }

bool Relay::attach_device(DeviceRef device, const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  auto& list = by_device_[device];
  std::erase_if(list, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  if (list.size() >= config_.max_connections_per_device) return false;
  list.push_back(session);
  return true;
}

void Relay::detach(Session* session, DeviceRef device, const std::vector<GroupRef>& groups) {
  std::lock_guard lock(mutex_);
  if (auto it = by_device_.find(device); it != by_device_.end()) {
    erase_session(it->second, session);
    if (it->second.empty()) by_device_.erase(it);
  }
  for (auto g : groups) {
    if (auto it = by_group_.find(g); it != by_group_.end()) {
      erase_session(it->second, session);
      if (it->second.empty()) by_group_.erase(it);
    }
  }
}

void Relay::subscribe(GroupRef group, const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  by_group_[group].push_back(session);
}

void Relay::unsubscribe(GroupRef group, Session* session) {
  std::lock_guard lock(mutex_);
  if (auto it = by_group_.find(group); it != by_group_.end()) {
    erase_session(it->second, session);
    if (it->second.empty()) by_group_.erase(it);
  }
}

void Relay::fan_out(GroupRef group, std::uint64_t seq, std::shared_ptr<const std::string> frame) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(mutex_);
    auto it = by_group_.find(group);
    if (it == by_group_.end()) return;
    targets.reserve(it->second.size());
    for (auto& w : it->second) {
      if (auto s = w.lock()) targets.push_back(std::move(s));
    }
  }
  for (auto& s : targets) s->offer_live(group, seq, frame);
}

std::vector<std::shared_ptr<Session>> Relay::sessions_of(DeviceRef device) {
  std::vector<std::shared_ptr<Session>> out;
  auto it = by_device_.find(device);
  if (it == by_device_.end()) return out;
  for (auto& w : it->second) {
    if (auto s = w.lock()) out.push_back(std::move(s));
  }
  return out;
}

void Relay::members_added(GroupRef group, const Bytes& group_id, std::uint64_t joined_seq,
                          const std::vector<DeviceRef>& devices) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto d : devices) {
      for (auto& s : sessions_of(d)) {
        by_group_[group].push_back(s);
        targets.push_back(std::move(s));
      }
    }
  }
  for (auto& s : targets) s->joined_group(group, group_id, joined_seq);
}

void Relay::members_removed(GroupRef group, const std::vector<DeviceRef>& devices) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto d : devices) {
      for (auto& s : sessions_of(d)) targets.push_back(std::move(s));
    }
    if (auto it = by_group_.find(group); it != by_group_.end()) {
      for (auto& s : targets) erase_session(it->second, s.get());
    }
  }
  for (auto& s : targets) s->left_group(group);
}

void Relay::push_to(const std::vector<DeviceRef>& devices, const std::shared_ptr<const std::string>& frame) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto d : devices) {
      for (auto& s : sessions_of(d)) targets.push_back(std::move(s));
    }
  }
  for (auto& s : targets) s->push(frame);
}

std::vector<std::shared_ptr<Session>> Relay::all_sessions() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Session>> out;
  for (auto& [d, list] : by_device_) {
    for (auto& w : list) {
      if (auto s = w.lock()) out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace gchat::server
