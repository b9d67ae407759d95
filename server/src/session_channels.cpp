// Broadcast channels: administrators' channel acts, discovery and subscription, the devices' keys
// for channel keys, the publishers' work (wrapping the current key to waiting subscribers) and the
// subscribers' wrapped keys. The relay never sees a channel key: it checks who may subscribe and
// who may post, keeps the wrapped keys, and fans posts out like any group's messages.
#include <algorithm>
#include <set>

#include "admin_util.hpp"
#include "channels.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/server/audit_log.hpp"
#include "gchat/server/log.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

namespace v1 = identity::v1;
using wire::now_ms;
using wire::to_bytes;
using wire::to_string;

constexpr std::uint32_t kDefaultWork = 500;
constexpr std::uint32_t kMaxWork = 2000;
constexpr int kMaxKeysPerPut = 2000;
constexpr std::size_t kMaxWrapPart = 256;

// Current (not revoked) devices of a person.
Result<std::vector<DeviceRef>> current_devices(Store& store, const std::string& agency, const std::string& user) {
  GCHAT_TRY(auto all, store.devices_of_user(agency, user));
  std::vector<DeviceRef> out;
  for (DeviceRef d : all) {
    GCHAT_TRY(auto key, store.device_key(d));
    GCHAT_TRY(auto current, store.find_device(key));
    if (current) out.push_back(d);
  }
  return out;
}

// The channel's stream, created with its first subscriber device.
Result<GroupRef> ensure_stream(Store& store, Outcome& o, ChannelRecord& c, DeviceRef first) {
  if (c.stream != 0) return c.stream;
  GCHAT_TRY(auto existing, store.find_group(c.channel_id));
  if (existing) return Unexpected{reject(o, pb::GROUP_EXISTS, "a group already uses this channel's id").error()};
  GCHAT_TRY(auto group, store.create_group(c.channel_id, first, now_ms()));
  GCHAT_TRY_STATUS(store.set_channel_stream(c.ref, group.ref));
  c.stream = group.ref;
  return c.stream;
}

// What a subscription adds: the person's devices in the stream.
struct Joined {
  GroupRef stream = 0;
  Bytes channel_id;
  std::uint64_t joined_seq = 0;
  std::vector<DeviceRef> devices;
  std::vector<DeviceRef> publishers;
};

Result<Joined> subscribe_person(Store& store, Outcome& o, ChannelRecord& c, const std::string& agency,
                                const std::string& user, const std::vector<DeviceRef>& devices) {
  Joined j;
  j.channel_id = c.channel_id;
  if (devices.empty()) return j;
  GCHAT_TRY(j.stream, ensure_stream(store, o, c, devices.front()));
  GCHAT_TRY(bool fresh, store.add_subscription(c.ref, agency, user, now_ms()));
  (void)fresh;
  for (DeviceRef d : devices) GCHAT_TRY_STATUS(store.add_member(j.stream, d));
  GCHAT_TRY(auto group, store.find_group(c.channel_id));
  j.joined_seq = group ? group->last_seq : 0;
  j.devices = devices;
  GCHAT_TRY(j.publishers, publisher_devices(store, c));
  return j;
}

void announce_joined(Relay& relay, const std::vector<Joined>& joined) {
  for (const auto& j : joined) {
    if (j.devices.empty()) continue;
    relay.members_added(j.stream, j.channel_id, j.joined_seq, j.devices);
    notify_publishers(relay, j.publishers, j.channel_id, false);
    // The devices learn of it too (subscribed by their agency, or from another device of theirs).
    pb::ServerFrame f;
    f.mutable_channel_notice()->set_channel_id(to_string(j.channel_id));
    f.mutable_channel_notice()->set_updated(true);
    relay.push_to(j.devices, std::make_shared<const std::string>(f.SerializeAsString()));
  }
}

Result<pb::ChannelInfo> info_of(Store& store, const ChannelRecord& c, bool subscribed) {
  pb::ChannelInfo info;
  info.mutable_channel()->ParseFromArray(c.descriptor.data(), static_cast<int>(c.descriptor.size()));
  info.mutable_admin()->ParseFromArray(c.admin_chain.data(), static_cast<int>(c.admin_chain.size()));
  info.set_subscribed(subscribed);
  GCHAT_TRY(auto count, store.subscriber_count(c.ref));
  info.set_subscribers(count);
  GCHAT_TRY(auto generation, channel_generation(store, c));
  info.set_generation(generation);
  return info;
}

bool valid_channel_id(const std::string& id) { return id.size() == identity::kChannelIdSize; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Administrators

void Session::handle_channel_act(std::uint64_t rid, const identity::VerifiedAdmin& admin, const v1::AdminChain& chain,
                                 const v1::AdminAct& act, const std::string& act_body) {
  const Bytes act_id = act_id_of(act_body);
  const std::string actor = admin.agency.agency_id + "/" + admin.admin_id;
  const std::string agency = admin.agency.agency_id;
  auto applied = std::make_shared<pb::AdminActOk>();
  Relay* relay = &relay_;
  if (act.has_set_channel()) {
    const std::int64_t now_s = static_cast<std::int64_t>(now_ms() / 1000);
    auto revoked = relay_.revocations();
    auto channel = identity::verify_channel(act.set_channel(), chain,
                                            identity::TrustAnchor{relay_.root_key(), now_s, revoked.get()});
    if (!channel.ok()) {
      const auto code = channel.error().code == Errc::cert_role_missing || channel.error().code == Errc::cert_mismatch
                            ? pb::FORBIDDEN
                            : code_for(channel.error());
      return send_error(rid, code, channel.error().to_string());
    }
    ChannelRecord record;
    record.channel_id = to_bytes(channel->descriptor.channel_id());
    record.agency_id = channel->descriptor.agency_id();
    record.level = channel->descriptor.level();
    record.version = channel->descriptor.version();
    record.descriptor = to_bytes(act.set_channel().SerializeAsString());
    record.admin_chain = to_bytes(chain.SerializeAsString());
    const auto descriptor = channel->descriptor;
    return with_store(
        [=](Store& store, Outcome& o) -> Status {
          GCHAT_TRY_STATUS(claim_act(store, o, act_id));
          GCHAT_TRY(auto existing, store.find_channel(record.channel_id));
          if (existing) {
            GCHAT_TRY(auto before, channel_descriptor(*existing));
            if (existing->agency_id != record.agency_id) {
              return reject(o, pb::FORBIDDEN, "this channel belongs to agency '" + existing->agency_id + "'");
            }
            if (record.version <= existing->version) {
              return reject(o, pb::REPLAYED, "the channel is at version " + std::to_string(existing->version) +
                                                 "; a change needs a higher one");
            }
            // Subscribers keep their subscription: what admitted them may widen, never narrow.
            if (record.level != existing->level) {
              return reject(o, pb::INVALID_ARGUMENT, "a channel's level cannot change; create another channel");
            }
            const std::set<std::string> now_allowed(descriptor.allowed_agencies().begin(),
                                                    descriptor.allowed_agencies().end());
            const bool narrowed =
                !now_allowed.empty() &&
                (before.allowed_agencies().empty() ||
                 std::any_of(before.allowed_agencies().begin(), before.allowed_agencies().end(),
                             [&](const std::string& a) { return now_allowed.count(a) == 0; }));
            if (narrowed) {
              return reject(o, pb::INVALID_ARGUMENT, "a channel's agencies can only widen; create another channel");
            }
          }
          GCHAT_TRY(auto ref, store.put_channel(record));
          (void)ref;
          if (existing) {
            // Everyone concerned learns of the change: subscribers (title, agencies, publishers) and
            // publishers (whose group follows the new list).
            std::vector<DeviceRef> told;
            if (existing->stream) {
              GCHAT_TRY(told, store.member_devices(existing->stream));
            }
            GCHAT_TRY(auto publishers, publisher_devices(store, *existing));
            told.insert(told.end(), publishers.begin(), publishers.end());
            pb::ServerFrame f;
            f.mutable_channel_notice()->set_channel_id(to_string(record.channel_id));
            f.mutable_channel_notice()->set_updated(true);
            auto frame = std::make_shared<const std::string>(f.SerializeAsString());
            o.after_commit = [relay, told, frame] { relay->push_to(told, frame); };
          }
          GCHAT_TRY(auto seq, append_audit(store, *relay, existing ? "channel_changed" : "channel_created", actor,
                                           to_hex(record.channel_id),
                                           "version " + std::to_string(record.version) + ", level " +
                                               std::to_string(record.level) + ", " +
                                               std::to_string(descriptor.publishers_size()) + " publishers"));
          applied->set_audit_seq(seq);
          return {};
        },
        admin_act_reply(rid, applied, actor));
  }
  // subscribe_agency: everyone of the administrator's agency who is cleared for the channel.
  const auto& sub = act.subscribe_agency();
  if (!admin.has(v1::USER_ADMIN) && !admin.has(v1::CHANNEL_ADMIN)) {
    return send_error(rid, pb::FORBIDDEN, "subscribing an agency takes a user or channel administrator");
  }
  if (sub.agency_id() != agency) {
    return send_error(rid, pb::FORBIDDEN, "administrators subscribe only their own agency");
  }
  if (!valid_channel_id(sub.channel_id())) return send_error(rid, pb::INVALID_ARGUMENT, "a channel id is 16 bytes");
  const Bytes channel_id = to_bytes(sub.channel_id());
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY_STATUS(claim_act(store, o, act_id));
        GCHAT_TRY(auto channel, store.find_channel(channel_id));
        if (!channel) return reject(o, pb::GROUP_NOT_FOUND, "no such channel");
        GCHAT_TRY(auto d, channel_descriptor(*channel));
        const auto level = identity::clearance_from_int(channel->level).value_or(identity::kHighestClearance);
        if (auto s = identity::may_subscribe(agency, level, d); !s.ok()) {
          return reject(o, pb::NOT_CLEARED, s.error().message);
        }
        // Standing: people of the agency cleared for it later join when their device connects.
        GCHAT_TRY_STATUS(store.add_agency_subscription(channel->ref, agency, now_ms()));
        GCHAT_TRY(auto people, store.users_of_agency(agency));
        std::vector<Joined> joined;
        std::uint32_t count = 0;
        for (const auto& p : people) {
          const auto held = identity::clearance_from_int(p.clearance).value_or(identity::Clearance::unclassified);
          if (!identity::may_subscribe(agency, held, d).ok()) continue;
          GCHAT_TRY(auto devices, current_devices(store, agency, p.user_id));
          if (devices.empty()) continue;
          GCHAT_TRY_STATUS(store.set_opted_out(channel->ref, agency, p.user_id, false));  // the administrator's call
          GCHAT_TRY(auto j, subscribe_person(store, o, *channel, agency, p.user_id, devices));
          joined.push_back(std::move(j));
          ++count;
        }
        GCHAT_TRY(auto seq, append_audit(store, *relay, "channel_agency_subscribed", actor, to_hex(channel_id),
                                         agency + ": " + std::to_string(count) + " people"));
        applied->set_audit_seq(seq);
        applied->set_subscribed(count);
        o.after_commit = [relay, joined] { announce_joined(*relay, joined); };
        return {};
      },
      admin_act_reply(rid, applied, actor));
}

// ---------------------------------------------------------------------------------------------
// Everyone

void Session::handle_list_channels(std::uint64_t rid) {
  if (!relay_.certificate_mode()) return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  auto list = std::make_shared<pb::ChannelList>();
  const Bytes key = device_key_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto who, store.device_identity(key));
        if (!who) return reject(o, pb::UNKNOWN_DEVICE, "this device has no identity here");
        const auto& id = who->second;
        const auto held = identity::clearance_from_int(id.clearance).value_or(identity::Clearance::unclassified);
        GCHAT_TRY(auto channels, store.all_channels());
        for (const auto& c : channels) {
          GCHAT_TRY(auto d, channel_descriptor(c));
          GCHAT_TRY(bool subscribed, store.is_subscribed(c.ref, id.agency_id, id.user_id));
          if (!subscribed && !identity::may_subscribe(id.agency_id, held, d).ok()) continue;
          GCHAT_TRY(*list->add_channels(), info_of(store, c, subscribed));
        }
        return {};
      },
      [rid, list](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_channel_list() = std::move(*list);
        s.send_frame(f);
      });
}

void Session::handle_subscribe(std::uint64_t rid, const pb::Subscribe& m) {
  if (!relay_.certificate_mode()) return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  if (!valid_channel_id(m.channel_id())) return send_error(rid, pb::INVALID_ARGUMENT, "a channel id is 16 bytes");
  const Bytes channel_id = to_bytes(m.channel_id());
  const bool unsubscribe = m.unsubscribe();
  const Bytes key = device_key_;
  auto reply = std::make_shared<pb::SubscribeOk>();
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto channel, store.find_channel(channel_id));
        if (!channel) return reject(o, pb::GROUP_NOT_FOUND, "no such channel");
        GCHAT_TRY(auto who, store.device_identity(key));
        if (!who) return reject(o, pb::UNKNOWN_DEVICE, "this device has no identity here");
        const auto id = who->second;
        const std::string person = id.agency_id + "/" + id.user_id;
        GCHAT_TRY(auto devices, current_devices(store, id.agency_id, id.user_id));
        if (unsubscribe) {
          GCHAT_TRY(bool was, store.remove_subscription(channel->ref, id.agency_id, id.user_id));
          GCHAT_TRY_STATUS(store.set_opted_out(channel->ref, id.agency_id, id.user_id, true));
          GCHAT_TRY(auto departure, depart_channel(store, *channel, devices));
          if (was) GCHAT_TRY_STATUS(append_audit(store, *relay, "channel_unsubscribed", person, to_hex(channel_id), ""));
          GCHAT_TRY(*reply->mutable_channel(), info_of(store, *channel, false));
          o.after_commit = [relay, departure] { announce_departures(*relay, {departure}); };
          return {};
        }
        GCHAT_TRY(auto d, channel_descriptor(*channel));
        const auto held = identity::clearance_from_int(id.clearance).value_or(identity::Clearance::unclassified);
        if (auto s = identity::may_subscribe(id.agency_id, held, d); !s.ok()) {
          return reject(o, pb::NOT_CLEARED, s.error().message);
        }
        GCHAT_TRY(bool already, store.is_subscribed(channel->ref, id.agency_id, id.user_id));
        GCHAT_TRY_STATUS(store.set_opted_out(channel->ref, id.agency_id, id.user_id, false));
        GCHAT_TRY(auto joined, subscribe_person(store, o, *channel, id.agency_id, id.user_id, devices));
        if (!already) GCHAT_TRY_STATUS(append_audit(store, *relay, "channel_subscribed", person, to_hex(channel_id), ""));
        GCHAT_TRY(*reply->mutable_channel(), info_of(store, *channel, true));
        o.after_commit = [relay, joined] { announce_joined(*relay, {joined}); };
        return {};
      },
      [rid, reply](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_subscribe_ok() = std::move(*reply);
        s.send_frame(f);
      });
}

void Session::handle_register_channel_key(std::uint64_t rid, const pb::RegisterChannelKey& m) {
  if (!relay_.certificate_mode() || !chain_) {
    return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  }
  auto registration = identity::open_signed<v1::ChannelKeyRegistration>(
      identity::SignedKind::channel_key_registration, m.registration(), device_key_, "channel key registration");
  if (!registration.ok()) return send_error(rid, pb::INVALID_ARGUMENT, registration.error().to_string());
  if (registration->device_key() != to_string(device_key_) || registration->hpke_key().size() != 32) {
    return send_error(rid, pb::INVALID_ARGUMENT, "the registration names this device and a 32-byte X25519 key");
  }
  const Bytes signed_bytes = to_bytes(m.registration().SerializeAsString());
  const auto chain = chain_;
  const DeviceRef device = device_;
  const Bytes key = device_key_;
  auto streams = std::make_shared<std::uint32_t>(0);
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY_STATUS(store.set_channel_device_key(device, signed_bytes, as_bytes(*chain)));
        GCHAT_TRY(auto who, store.device_identity(key));
        if (!who) return reject(o, pb::UNKNOWN_DEVICE, "this device has no identity here");
        // A person's device added after they subscribed joins their channels now.
        GCHAT_TRY(auto subscriptions, store.subscriptions_of(who->second.agency_id, who->second.user_id));
        std::vector<Joined> joined;
        for (ChannelRef ref : subscriptions) {
          GCHAT_TRY(auto c, store.channel_by_ref(ref));
          if (!c || c->stream == 0) continue;
          GCHAT_TRY(auto member, store.membership(c->stream, device));
          ++*streams;
          if (member) continue;
          GCHAT_TRY(auto j, subscribe_person(store, o, *c, who->second.agency_id, who->second.user_id, {device}));
          joined.push_back(std::move(j));
        }
        // Channels its agency is subscribed to: a person cleared for one joins it with every device.
        const auto& id = who->second;
        GCHAT_TRY(auto standing, store.agency_subscriptions(id.agency_id));
        for (ChannelRef ref : standing) {
          if (std::find(subscriptions.begin(), subscriptions.end(), ref) != subscriptions.end()) continue;
          GCHAT_TRY(bool out, store.opted_out(ref, id.agency_id, id.user_id));
          GCHAT_TRY(auto c, store.channel_by_ref(ref));
          if (out || !c) continue;
          GCHAT_TRY(auto d, channel_descriptor(*c));
          const auto held = identity::clearance_from_int(id.clearance).value_or(identity::Clearance::unclassified);
          if (!identity::may_subscribe(id.agency_id, held, d).ok()) continue;
          GCHAT_TRY(auto devices, current_devices(store, id.agency_id, id.user_id));
          GCHAT_TRY(auto j, subscribe_person(store, o, *c, id.agency_id, id.user_id, devices));
          GCHAT_TRY_STATUS(append_audit(store, *relay, "channel_subscribed", "relay", to_hex(c->channel_id),
                                        id.agency_id + "/" + id.user_id + " by the agency's subscription"));
          ++*streams;
          joined.push_back(std::move(j));
        }
        o.after_commit = [relay, joined] { announce_joined(*relay, joined); };
        return {};
      },
      [rid, streams](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_register_channel_key_ok()->set_channels(*streams);
        s.send_frame(f);
      });
}

namespace {

// The channel and the caller's place in its publishers' group, or a refusal.
Result<ChannelRecord> publisher_channel(Store& store, Outcome& o, BytesView channel_id, DeviceRef device) {
  GCHAT_TRY(auto channel, store.find_channel(channel_id));
  if (!channel) return Unexpected{reject(o, pb::GROUP_NOT_FOUND, "no such channel").error()};
  GCHAT_TRY(auto group, store.find_group(identity::publishers_group_id(channel_id)));
  GCHAT_TRY(auto member, group ? store.membership(group->ref, device)
                               : Result<std::optional<MembershipRecord>>(std::optional<MembershipRecord>{}));
  if (!member) return Unexpected{reject(o, pb::NOT_A_PUBLISHER, "this device is not in the channel's publishers' group").error()};
  return *channel;
}

}  // namespace

void Session::handle_fetch_channel_work(std::uint64_t rid, const pb::FetchChannelWork& m) {
  if (!relay_.certificate_mode()) return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  if (!valid_channel_id(m.channel_id())) return send_error(rid, pb::INVALID_ARGUMENT, "a channel id is 16 bytes");
  if (m.limit() > kMaxWork) return send_error(rid, pb::INVALID_ARGUMENT, "limit must be at most 2000");
  const std::uint32_t limit = m.limit() == 0 ? kDefaultWork : m.limit();
  const Bytes channel_id = to_bytes(m.channel_id());
  const auto after = static_cast<DeviceRef>(std::min<std::uint64_t>(m.after(), INT64_MAX));
  const DeviceRef device = device_;
  const std::size_t budget = relay_.config().max_frame_bytes / 2;
  auto work = std::make_shared<pb::ChannelWork>();
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto channel, publisher_channel(store, o, channel_id, device));
        GCHAT_TRY(auto generation, channel_generation(store, channel));
        work->set_channel_id(to_string(channel_id));
        work->set_generation(generation);
        work->set_rekey_needed(static_cast<std::int64_t>(generation) <= channel.rekey_above);
        if (channel.stream == 0) return {};
        GCHAT_TRY(auto rows, store.channel_work(channel.ref, channel.stream, generation, after, limit));
        // One answer fits in a frame: a page ends early once its chains fill half of it.
        std::size_t bytes = 0;
        std::size_t taken = 0;
        for (auto& r : rows) {
          if (taken > 0 && bytes > budget) break;
          auto* s = work->add_subscribers();
          s->set_device_key(to_string(r.device_key));
          s->set_chain(to_string(r.chain));
          s->mutable_registration()->ParseFromArray(r.registration.data(), static_cast<int>(r.registration.size()));
          bytes += r.chain.size() + r.registration.size() + r.device_key.size();
          ++taken;
        }
        if (taken < rows.size() || rows.size() == limit) work->set_next(static_cast<std::uint64_t>(rows[taken - 1].device));
        return {};
      },
      [rid, work](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_channel_work() = std::move(*work);
        s.send_frame(f);
      });
}

void Session::handle_put_channel_keys(std::uint64_t rid, const pb::PutChannelKeys& m) {
  if (!relay_.certificate_mode()) return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  if (!valid_channel_id(m.channel_id())) return send_error(rid, pb::INVALID_ARGUMENT, "a channel id is 16 bytes");
  if (m.keys_size() == 0 || m.keys_size() > kMaxKeysPerPut) {
    return send_error(rid, pb::INVALID_ARGUMENT, "1 to 2000 wrapped keys per request");
  }
  std::vector<std::pair<Bytes, Bytes>> keys;  // device key, serialized WrappedChannelKey
  for (const auto& k : m.keys()) {
    if (k.device_key().size() != 32 || k.kem_output().empty() || k.kem_output().size() > kMaxWrapPart ||
        k.ciphertext().empty() || k.ciphertext().size() > kMaxWrapPart) {
      return send_error(rid, pb::INVALID_ARGUMENT, "a wrapped key names a 32-byte device and holds a small HPKE ciphertext");
    }
    keys.emplace_back(to_bytes(k.device_key()), to_bytes(k.SerializeAsString()));
  }
  const Bytes channel_id = to_bytes(m.channel_id());
  const std::uint64_t generation = m.generation();
  const DeviceRef device = device_;
  auto stored = std::make_shared<std::uint32_t>(0);
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto channel, publisher_channel(store, o, channel_id, device));
        GCHAT_TRY(auto current, channel_generation(store, channel));
        if (generation != current) {
          return reject(o, pb::STALE_CHANNEL_KEY, "the channel is at key generation " + std::to_string(current));
        }
        auto pushes = std::make_shared<std::vector<std::pair<DeviceRef, std::string>>>();
        for (const auto& [key, wrapped] : keys) {
          GCHAT_TRY(auto target, store.find_device(key));
          if (!target || channel.stream == 0) continue;
          GCHAT_TRY(auto member, store.membership(channel.stream, target->ref));
          if (!member) continue;  // left meanwhile: no key for it
          GCHAT_TRY_STATUS(store.put_channel_key(channel.ref, generation, target->ref, wrapped, now_ms()));
          ++*stored;
          pb::ServerFrame f;
          auto* ck = f.mutable_channel_key();
          ck->set_channel_id(to_string(channel_id));
          ck->set_generation(generation);
          ck->mutable_key()->ParseFromArray(wrapped.data(), static_cast<int>(wrapped.size()));
          pushes->emplace_back(target->ref, f.SerializeAsString());
        }
        o.after_commit = [relay, pushes] {
          relay->metrics().channel_keys_stored += pushes->size();
          for (auto& [d, frame] : *pushes) relay->push_to({d}, std::make_shared<const std::string>(std::move(frame)));
        };
        return {};
      },
      [rid, stored](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_put_channel_keys_ok()->set_stored(*stored);
        s.send_frame(f);
      });
}

void Session::handle_fetch_channel_key(std::uint64_t rid, const pb::FetchChannelKey& m) {
  if (!relay_.certificate_mode()) return send_error(rid, pb::NOT_SUPPORTED, "channels need a relay with a pinned root");
  if (!valid_channel_id(m.channel_id())) return send_error(rid, pb::INVALID_ARGUMENT, "a channel id is 16 bytes");
  const Bytes channel_id = to_bytes(m.channel_id());
  const std::uint64_t generation = m.generation();
  const DeviceRef device = device_;
  auto wrapped = std::make_shared<Bytes>();
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto channel, store.find_channel(channel_id));
        if (!channel) return reject(o, pb::GROUP_NOT_FOUND, "no such channel");
        GCHAT_TRY(auto member, channel->stream ? store.membership(channel->stream, device)
                                               : Result<std::optional<MembershipRecord>>(std::optional<MembershipRecord>{}));
        if (!member) return reject(o, pb::NOT_A_MEMBER, "this device is not subscribed to the channel");
        GCHAT_TRY(auto key, store.channel_key(channel->ref, generation, device));
        if (!key) return reject(o, pb::NO_CHANNEL_KEY, "no key of this generation for this device yet");
        *wrapped = std::move(*key);
        return {};
      },
      [rid, channel_id, generation, wrapped](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        auto* ck = f.mutable_channel_key();
        ck->set_channel_id(to_string(channel_id));
        ck->set_generation(generation);
        ck->mutable_key()->ParseFromArray(wrapped->data(), static_cast<int>(wrapped->size()));
        s.send_frame(f);
      });
}

}  // namespace gchat::server
