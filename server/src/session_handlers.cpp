// Request handlers of an authenticated session: groups, messages, cursors, history, key packages.
// Each validates its input on the strand, then runs one atomic step in the storage writer.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "gchat/identity/directory.hpp"
#include "gchat/server/audit_log.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"
#include "channels.hpp"
#include "mls_gate.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

constexpr std::size_t kMaxGroupIdBytes = 255;
constexpr std::size_t kDeviceKeyBytes = 32;
constexpr std::size_t kMaxDevicesPerUser = 16;
constexpr std::uint32_t kMaxPeopleFound = 200;  // devices per FindPeople answer (chains of a few kB each)
constexpr std::uint32_t kDefaultFetch = 100;
constexpr std::uint32_t kMaxFetch = 500;
constexpr std::size_t kMaxKeyPackageBytes = 64 * 1024;
constexpr int kMaxKeyPackagesPerUpload = 100;

using wire::now_ms;
using wire::to_bytes;
using wire::to_string;

// Marks the outcome with a protocol error and returns a failed status (rolling back the request).
bool valid_group_id(const std::string& id) { return !id.empty() && id.size() <= kMaxGroupIdBytes; }

// Looks the group up and checks that `device` belongs to it.
Result<MembershipRecord> require_member(Store& store, Outcome& o, BytesView group_id, DeviceRef device) {
  GCHAT_TRY(auto group, store.find_group(group_id));
  if (!group) return Unexpected{reject(o, pb::GROUP_NOT_FOUND, "no group with this id").error()};
  GCHAT_TRY(auto m, store.membership(group->ref, device));
  if (!m) return Unexpected{reject(o, pb::NOT_A_MEMBER, "this device is not a member of the group").error()};
  return *m;
}

// Resolves device keys to records; unknown keys reject the request.
Result<std::vector<DeviceRef>> resolve_devices(Store& store, Outcome& o, const std::vector<Bytes>& keys) {
  std::vector<DeviceRef> refs;
  refs.reserve(keys.size());
  for (const auto& k : keys) {
    GCHAT_TRY(auto d, store.find_device(k));
    if (!d) {
      return Unexpected{
          reject(o, pb::INVALID_ARGUMENT, "member key " + to_hex(BytesView(k).first(8)) + "... is not a registered device")
              .error()};
    }
    refs.push_back(d->ref);
  }
  return refs;
}

}  // namespace

void Session::handle_create_group(std::uint64_t rid, const pb::CreateGroup& m) {
  if (!valid_group_id(m.group_id())) return send_error(rid, pb::INVALID_ARGUMENT, "group_id must be 1 to 255 bytes");
  if (relay_.certificate_mode()) return create_verified_group(rid, m);
  if (!m.group_info().empty()) {
    return send_error(rid, pb::NOT_SUPPORTED, "this relay pins no government root and keeps no MLS group state");
  }
  if (static_cast<std::uint64_t>(m.member_keys_size()) + 1 > relay_.config().max_group_members) {
    return send_error(rid, pb::INVALID_ARGUMENT, "too many members");
  }
  std::vector<Bytes> keys;
  for (const auto& k : m.member_keys()) {
    if (k.size() != kDeviceKeyBytes) return send_error(rid, pb::INVALID_ARGUMENT, "member keys must be 32 bytes");
    keys.push_back(to_bytes(k));
  }
  const Bytes group_id = to_bytes(m.group_id());
  const DeviceRef creator = device_;
  auto count = std::make_shared<std::uint32_t>(0);
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto existing, store.find_group(group_id));
        if (existing) return reject(o, pb::GROUP_EXISTS, "a group with this id exists");
        GCHAT_TRY(auto refs, resolve_devices(store, o, keys));
        GCHAT_TRY(auto group, store.create_group(group_id, creator, now_ms()));
        refs.push_back(creator);
        for (auto d : refs) GCHAT_TRY_STATUS(store.add_member(group.ref, d));
        GCHAT_TRY(*count, store.member_count(group.ref));
        o.after_commit = [relay, group, refs] { relay->members_added(group.ref, group.group_id, 0, refs); };
        return {};
      },
      [rid, group_id, count](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_create_group_ok()->set_group_id(to_string(group_id));
        s.send_frame(f);
        log::info("group_created", {{"device", log::fingerprint(s.device_key_)}, {"members", std::to_string(*count)}});
      });
}

void Session::create_verified_group(std::uint64_t rid, const pb::CreateGroup& m) {
  if (m.member_keys_size() != 0 || m.group_info().empty()) {
    return send_error(rid, pb::INVALID_ARGUMENT,
                      "with certificates a group is created from its GroupInfo, and members come from its tree");
  }
  if (m.group_info().size() > relay_.config().max_payload_bytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "group_info is larger than max-payload-bytes");
  }
  const Bytes group_id = to_bytes(m.group_id());
  auto group_info = std::make_shared<std::string>(m.group_info());
  const DeviceRef creator = device_;
  const Bytes creator_key = device_key_;
  const std::string actor_name = log::fingerprint(device_key_);
  Relay* relay = &relay_;
  auto count = std::make_shared<std::size_t>(0);
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto existing, store.find_group(group_id));
        if (existing) return reject(o, pb::GROUP_EXISTS, "a group with this id exists");
        GCHAT_TRY(auto group, store.create_group(group_id, creator, now_ms()));
        GCHAT_TRY(auto applied, relay->gate().create(store, group.ref, group_id, as_bytes(*group_info), creator_key, o));
        GCHAT_TRY(auto level, relay->gate().level_of(store, group.ref));
        *count = applied.added.size();
        GCHAT_TRY_STATUS(append_audit(store, *relay, "group_created", actor_name, to_hex(group_id),
                                      std::to_string(*count) + " member devices, level " +
                                          std::to_string(static_cast<int>(level))));
        o.after_commit = [relay, group, added = applied.added] {
          relay->members_added(group.ref, group.group_id, 0, added);
        };
        return {};
      },
      [rid, group_id, count, actor_name](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_create_group_ok()->set_group_id(to_string(group_id));
        s.send_frame(f);
        log::info("group_created", {{"device", actor_name}, {"members", std::to_string(*count)}});
      });
}

void Session::handle_membership(std::uint64_t rid, const Bytes& group_id,
                                const google::protobuf::RepeatedPtrField<std::string>& member_keys, bool add) {
  if (relay_.certificate_mode()) {
    return send_error(rid, pb::FORBIDDEN, "with certificates, membership changes only through verified MLS commits");
  }
  if (group_id.empty() || group_id.size() > kMaxGroupIdBytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "group_id must be 1 to 255 bytes");
  }
  if (member_keys.empty() || static_cast<std::uint64_t>(member_keys.size()) > relay_.config().max_group_members) {
    return send_error(rid, pb::INVALID_ARGUMENT, "member_keys must name 1 to max-group-members devices");
  }
  std::vector<Bytes> keys;
  for (const auto& k : member_keys) {
    if (k.size() != kDeviceKeyBytes) return send_error(rid, pb::INVALID_ARGUMENT, "member keys must be 32 bytes");
    keys.push_back(to_bytes(k));
  }
  const DeviceRef actor = device_;
  const std::uint32_t max_members = relay_.config().max_group_members;
  auto count = std::make_shared<std::uint32_t>(0);
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto self_membership, require_member(store, o, group_id, actor));
        GCHAT_TRY(auto refs, resolve_devices(store, o, keys));
        const GroupRef group = self_membership.group;
        for (auto d : refs) {
          if (add) GCHAT_TRY_STATUS(store.add_member(group, d));
          else GCHAT_TRY_STATUS(store.remove_member(group, d));
        }
        GCHAT_TRY(*count, store.member_count(group));
        if (*count > max_members) return reject(o, pb::INVALID_ARGUMENT, "the group would exceed max-group-members");
        const auto last_seq = self_membership.last_seq;
        if (add) {
          o.after_commit = [relay, group, group_id, last_seq, refs] {
            relay->members_added(group, group_id, last_seq, refs);
          };
        } else {
          o.after_commit = [relay, group, refs] { relay->members_removed(group, refs); };
        }
        return {};
      },
      [rid, group_id, count](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_membership_ok()->set_group_id(to_string(group_id));
        f.mutable_membership_ok()->set_member_count(*count);
        s.send_frame(f);
      });
}

void Session::handle_list_groups(std::uint64_t rid) {
  auto groups = std::make_shared<std::vector<MembershipRecord>>();
  const DeviceRef device = device_;
  with_store(
      [=](Store& store, Outcome&) -> Status {
        GCHAT_TRY(*groups, store.memberships_of(device));
        return {};
      },
      [rid, groups](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* list = f.mutable_group_list();
        for (const auto& g : *groups) {
          auto* summary = list->add_groups();
          summary->set_group_id(to_string(g.group_id));
          summary->set_last_seq(g.last_seq);
          summary->set_acked_seq(std::max(g.acked_seq, g.joined_seq));
          summary->set_member_count(g.member_count);
        }
        s.send_frame(f);
      });
}

void Session::handle_send(std::uint64_t rid, const pb::SendMessage& m) {
  if (!valid_group_id(m.group_id())) return send_error(rid, pb::INVALID_ARGUMENT, "group_id must be 1 to 255 bytes");
  if (m.kind() != pb::APPLICATION && m.kind() != pb::HANDSHAKE && m.kind() != pb::WELCOME &&
      m.kind() != pb::CHANNEL_POST) {
    return send_error(rid, pb::INVALID_ARGUMENT, "kind must be APPLICATION, HANDSHAKE, WELCOME or CHANNEL_POST");
  }
  if (m.kind() == pb::CHANNEL_POST && !relay_.certificate_mode()) {
    return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  }
  if (m.payload().empty() || m.payload().size() > relay_.config().max_payload_bytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "payload must be 1 to max-payload-bytes bytes");
  }
  if (relay_.certificate_mode() && m.kind() != pb::HANDSHAKE && m.kind() != pb::CHANNEL_POST) {
    // Checked here, on the connection's strand, not on the storage thread.
    Outcome o;
    if (!MlsGate::check_kind(m.kind(), as_bytes(m.payload()), o).ok()) return send_error(rid, o.code, o.message);
  }
  struct Sent {
    GroupRef group = 0;
    std::uint64_t seq = 0;
    std::uint64_t time = 0;
  };
  auto sent = std::make_shared<Sent>();
  const Bytes group_id = to_bytes(m.group_id());
  const DeviceRef sender = device_;
  const std::string sender_key = to_string(device_key_);
  // The payload is moved into the storage request once; the delivery frame is built once after commit.
  auto payload = std::make_shared<std::string>(m.payload());
  const auto kind = m.kind();
  Relay* relay = &relay_;
  const bool verify = relay_.certificate_mode() && kind == pb::HANDSHAKE;
  const bool certificate_mode = relay_.certificate_mode();
  const Bytes device_key = device_key_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto membership, require_member(store, o, group_id, sender));
        sent->group = membership.group;
        std::optional<std::string> publisher;
        if (certificate_mode) {
          GCHAT_TRY(publisher, check_channel_send(store, o, membership.group, kind, sender, device_key, as_bytes(*payload)));
        }
        sent->time = now_ms();
        MlsGate::Applied changes;
        if (verify) {
          GCHAT_TRY(changes, relay->gate().check_handshake(store, membership.group, as_bytes(*payload), device_key, o));
        }
        GCHAT_TRY(sent->seq, store.append_message(membership.group, kind, sender, as_bytes(*payload), sent->time));
        // Channel publications are in the audit log (who, which channel, which post; never content).
        if (publisher) {
          GCHAT_TRY_STATUS(append_audit(store, *relay, "channel_post", *publisher, to_hex(group_id),
                                        "seq " + std::to_string(sent->seq)));
        }
        // Members added by a commit start after it (they join by the Welcome that follows).
        if (verify) GCHAT_TRY_STATUS(relay->gate().apply(store, membership.group, changes));
        if (changes.policy_change) {
          const auto& pc = *changes.policy_change;
          auto agencies = [](std::size_t n) { return n == 0 ? std::string("all") : std::to_string(n); };
          GCHAT_TRY_STATUS(append_audit(store, *relay, pc.declassified ? "group_declassified" : "group_policy_changed",
                                        pc.by.empty() ? log::fingerprint(device_key) : pc.by, to_hex(group_id),
                                        "level " + std::to_string(pc.old_level) + " -> " + std::to_string(pc.new_level) +
                                            ", agencies " + agencies(pc.old_agencies) + " -> " +
                                            agencies(pc.new_agencies)));
        }
        if (!changes.added.empty() || !changes.removed.empty()) {
          GCHAT_TRY(auto who, store.device_identity(device_key));
          const std::string actor = who ? who->second.agency_id + "/" + who->second.user_id : log::fingerprint(device_key);
          GCHAT_TRY_STATUS(append_audit(store, *relay, "membership_committed", actor, to_hex(group_id),
                                        "+" + std::to_string(changes.added.size()) + " -" +
                                            std::to_string(changes.removed.size()) + " devices"));
        }
        o.after_commit = [=] {
          relay->metrics().messages_stored++;
          if (publisher) relay->metrics().channel_posts++;
          pb::ServerFrame f;
          auto* d = f.mutable_delivery();
          d->set_group_id(to_string(group_id));
          d->set_seq(sent->seq);
          d->set_kind(kind);
          d->set_sender_key(sender_key);
          d->set_allocated_payload(new std::string(std::move(*payload)));
          d->set_server_time_ms(sent->time);
          auto frame = std::make_shared<std::string>();
          f.SerializeToString(frame.get());
          relay->fan_out(sent->group, sent->seq, std::move(frame));
          if (!changes.removed.empty()) relay->members_removed(sent->group, changes.removed);
          if (!changes.added.empty()) relay->members_added(sent->group, group_id, sent->seq, changes.added);
        };
        return {};
      },
      [rid, group_id, sent](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* ok = f.mutable_send_ok();
        ok->set_group_id(to_string(group_id));
        ok->set_seq(sent->seq);
        ok->set_server_time_ms(sent->time);
        s.send_frame(f);
      });
}

void Session::handle_ack(std::uint64_t rid, const pb::Ack& m) {
  if (!valid_group_id(m.group_id())) return send_error(rid, pb::INVALID_ARGUMENT, "group_id must be 1 to 255 bytes");
  const Bytes group_id = to_bytes(m.group_id());
  const DeviceRef device = device_;
  const std::uint64_t seq = m.seq();
  auto acked = std::make_shared<std::uint64_t>(0);
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto membership, require_member(store, o, group_id, device));
        if (seq > membership.last_seq) {
          return reject(o, pb::SEQUENCE_OUT_OF_RANGE,
                        "ack beyond the group's last sequence " + std::to_string(membership.last_seq));
        }
        GCHAT_TRY_STATUS(store.set_acked(membership.group, device, seq));
        *acked = std::max({seq, membership.acked_seq, membership.joined_seq});
        return {};
      },
      [rid, group_id, acked](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_ack_ok()->set_group_id(to_string(group_id));
        f.mutable_ack_ok()->set_acked_seq(*acked);
        s.send_frame(f);
      });
}

void Session::handle_fetch(std::uint64_t rid, const pb::Fetch& m) {
  if (!valid_group_id(m.group_id())) return send_error(rid, pb::INVALID_ARGUMENT, "group_id must be 1 to 255 bytes");
  if (m.limit() > kMaxFetch) return send_error(rid, pb::INVALID_ARGUMENT, "limit must be at most 500");
  const std::uint32_t limit = m.limit() == 0 ? kDefaultFetch : m.limit();
  const Bytes group_id = to_bytes(m.group_id());
  const DeviceRef device = device_;
  const std::uint64_t after = m.after_seq();
  const std::uint64_t budget = relay_.config().max_frame_bytes;  // one response must fit in a frame
  auto messages = std::make_shared<std::vector<StoredMessage>>();
  auto more = std::make_shared<bool>(false);
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto membership, require_member(store, o, group_id, device));
        if (after > membership.last_seq) return reject(o, pb::SEQUENCE_OUT_OF_RANGE, "after_seq beyond the last sequence");
        // A member reads only what was sent after it joined.
        const std::uint64_t from = std::max(after, membership.joined_seq);
        GCHAT_TRY(*messages, store.read_messages(membership.group, from, limit, budget / 2));
        *more = !messages->empty() && messages->back().seq < membership.last_seq;
        return {};
      },
      [rid, group_id, messages, more](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* r = f.mutable_fetch_result();
        r->set_group_id(to_string(group_id));
        r->set_more(*more);
        for (auto& msg : *messages) {
          auto* d = r->add_messages();
          d->set_group_id(to_string(group_id));
          d->set_seq(msg.seq);
          d->set_kind(static_cast<pb::MessageKind>(msg.kind));
          d->set_sender_key(to_string(msg.sender_key));
          d->set_payload(to_string(msg.payload));
          d->set_server_time_ms(msg.created_ms);
        }
        s.send_frame(f);
      });
}

void Session::handle_upload_key_packages(std::uint64_t rid, const pb::UploadKeyPackages& m) {
  if (m.key_packages_size() > kMaxKeyPackagesPerUpload) {
    return send_error(rid, pb::INVALID_ARGUMENT, "at most 100 key packages per upload");
  }
  std::vector<Bytes> packages;
  for (const auto& kp : m.key_packages()) {
    if (kp.empty() || kp.size() > kMaxKeyPackageBytes) {
      return send_error(rid, pb::INVALID_ARGUMENT, "each key package must be 1 to 65536 bytes");
    }
    packages.push_back(to_bytes(kp));
  }
  if (m.last_resort().size() > kMaxKeyPackageBytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "the last-resort key package must be at most 65536 bytes");
  }
  const Bytes last_resort = to_bytes(m.last_resort());
  const DeviceRef device = device_;
  const std::uint32_t cap = relay_.config().max_key_packages_per_device;
  auto available = std::make_shared<std::uint32_t>(0);
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto have, store.count_key_packages(device));
        if (have + packages.size() > cap) {
          return reject(o, pb::INVALID_ARGUMENT,
                        "the device would hold more than " + std::to_string(cap) + " key packages");
        }
        for (const auto& kp : packages) GCHAT_TRY_STATUS(store.add_key_package(device, kp));
        if (!last_resort.empty()) GCHAT_TRY_STATUS(store.set_last_resort_key_package(device, last_resort));
        *available = have + static_cast<std::uint32_t>(packages.size());
        return {};
      },
      [rid, available](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_upload_key_packages_ok()->set_available(*available);
        s.send_frame(f);
      });
}

void Session::handle_fetch_key_package(std::uint64_t rid, const pb::FetchKeyPackage& m) {
  if (m.device_key().size() != kDeviceKeyBytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "device_key must be 32 bytes");
  }
  const Bytes key = to_bytes(m.device_key());
  auto taken = std::make_shared<KeyPackageRecord>();
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto device, store.find_device(key));
        if (!device) return reject(o, pb::NO_KEY_PACKAGE, "no such device");
        GCHAT_TRY(auto kp, store.take_key_package(device->ref));
        if (!kp) return reject(o, pb::NO_KEY_PACKAGE, "the device has no key package left");
        *taken = std::move(*kp);
        return {};
      },
      [rid, key, taken](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* kp = f.mutable_key_package();
        kp->set_device_key(to_string(key));
        kp->set_key_package(to_string(taken->data));
        kp->set_last_resort(taken->last_resort);
        s.send_frame(f);
      });
}

void Session::handle_fetch_user_key_packages(std::uint64_t rid, const pb::FetchUserKeyPackages& m) {
  if (!relay_.certificate_mode()) {
    return send_error(rid, pb::NOT_SUPPORTED, "people are known only to a relay with a pinned root");
  }
  if (m.agency_id().empty() || m.agency_id().size() > 64 || m.user_id().empty() || m.user_id().size() > 64) {
    return send_error(rid, pb::INVALID_ARGUMENT, "agency_id and user_id must be 1 to 64 bytes");
  }
  auto taken = std::make_shared<std::vector<std::pair<Bytes, KeyPackageRecord>>>();
  const std::string agency = m.agency_id();
  const std::string user = m.user_id();
  const DeviceRef self = device_;
  with_store(
      [=](Store& store, Outcome&) -> Status {
        GCHAT_TRY(auto devices, store.devices_of_user(agency, user));
        // The asking device is already in whatever group it adds its own person's devices to.
        devices.erase(std::remove(devices.begin(), devices.end(), self), devices.end());
        // Bounded: a person has a handful of devices; more than this is not a person.
        if (devices.size() > kMaxDevicesPerUser) devices.resize(kMaxDevicesPerUser);
        for (const DeviceRef ref : devices) {
          GCHAT_TRY(auto key, store.device_key(ref));
          GCHAT_TRY(auto current, store.find_device(key));  // not revoked
          if (!current) continue;
          GCHAT_TRY(auto kp, store.take_key_package(ref));
          if (kp) taken->emplace_back(std::move(key), std::move(*kp));
        }
        return {};
      },
      [rid, taken](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* list = f.mutable_user_key_packages();
        for (const auto& [key, record] : *taken) {
          auto* kp = list->add_key_packages();
          kp->set_device_key(to_string(key));
          kp->set_key_package(to_string(record.data));
          kp->set_last_resort(record.last_resort);
        }
        s.send_frame(f);
      });
}

// The people directory: chains only (clients verify them); bounded by the limit and the query size.
void Session::handle_find_people(std::uint64_t rid, const pb::FindPeople& m) {
  if (!relay_.certificate_mode()) {
    return send_error(rid, pb::NOT_SUPPORTED, "people are known only to a relay with a pinned root");
  }
  if (auto problem = identity::directory_query_problem(m.query(), m.agency_id())) {
    return send_error(rid, pb::INVALID_ARGUMENT, *problem);
  }
  if (m.limit() > kMaxPeopleFound) {
    return send_error(rid, pb::INVALID_ARGUMENT, "limit is at most " + std::to_string(kMaxPeopleFound));
  }
  const std::uint32_t limit = m.limit() == 0 ? 100 : m.limit();
  auto found = std::make_shared<std::vector<Bytes>>();
  const std::string agency = m.agency_id();
  const std::string query = m.query();
  with_store(
      [=](Store& store, Outcome&) -> Status {
        GCHAT_TRY(*found, store.find_people(agency, query, limit + 1));
        return {};
      },
      [rid, found, limit](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* people = f.mutable_people();
        people->set_more(found->size() > limit);
        for (std::size_t i = 0; i < found->size() && i < limit; ++i) people->add_chains(to_string((*found)[i]));
        s.send_frame(f);
      });
}

}  // namespace gchat::server
